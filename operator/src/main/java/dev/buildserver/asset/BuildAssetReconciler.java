package dev.buildserver.asset;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.WorkloadIdentities;
import dev.buildserver.common.KeyReference;
import dev.buildserver.common.Secrets;
import dev.buildserver.s3.ObjectInfo;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.s3.OwnershipCheck;
import dev.buildserver.s3.StoredObject;
import dev.buildserver.status.ConditionSpec;
import dev.buildserver.status.EventRecorder;
import dev.buildserver.status.Finalizers;
import dev.buildserver.status.MainConditions;
import dev.buildserver.status.Pause;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.StatusRecorder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keeps the object a BuildAsset describes in S3: writes it when missing, changed or drifted, leaves
 * objects it does not own alone, and deletes what it owns when the resource goes (unless {@code
 * deletionPolicy: Retain}). ConfigMaps and Secrets used as sources are watched.
 */
@Singleton
@ControllerConfiguration(name = "buildasset", finalizerName = Finalizers.NAME)
public class BuildAssetReconciler
    implements Reconciler<BuildAsset>, Cleaner<BuildAsset>, MainConditions {

  static final String CONFIG_MAPS = "configmaps";
  static final String SECRETS = "secrets";

  private final ObjectStore store;
  private final OwnedObjects owned;
  private final UrlSource urls;
  private final StatusRecorder status;
  private final EventRecorder events;
  private final Clock clock;
  private final WorkloadIdentities identities;
  private final AssetDeletion deletion;

  /** A shard's names-only stores of Secrets and ConfigMaps, by type (none when not sharded). */
  private final Map<Class<?>, MetadataOnlyStore<?>> shardStores = new ConcurrentHashMap<>();

  public BuildAssetReconciler(
      ObjectStore store,
      OwnedObjects owned,
      UrlSource urls,
      StatusRecorder status,
      EventRecorder events,
      Clock clock,
      WorkloadIdentities identities) {
    this.identities = identities;
    this.deletion = new AssetDeletion(owned, status, events);
    this.store = store;
    this.owned = owned;
    this.urls = urls;
    this.status = status;
    this.events = events;
    this.clock = clock;
  }

  @Override
  public UpdateControl<BuildAsset> reconcile(BuildAsset asset, Context<BuildAsset> context) {
    BuildAssetStatus next = status.editable(asset, BuildAssetStatus::new);
    if (Pause.isPaused(asset)) {
      return status.record(asset, next, Pause.condition(), context);
    }
    try {
      // Every AWS call for this asset is made as its own identity; none without one.
      AwsIdentity identity = identityOf(asset);
      AssetPlan plan =
          AssetPlan.of(asset, store.defaultRegion(), lookups(asset, context, identity));
      ObjectWrite write = plan.write().as(identity);
      var outcome =
          owned.write(
              new OwnedObjects.Wanted(
                  ObjectOwner.of(asset),
                  write,
                  plan.content().toObjectContent(urls),
                  plan.fingerprint(),
                  recorded(asset, write, plan.secret()),
                  Boolean.TRUE.equals(asset.getSpec().overwrite()),
                  Optional.ofNullable(next.getUploadId()),
                  uploadId -> {
                    // Recorded before the first part goes up: should this process die midway,
                    // the next reconcile aborts exactly this upload and no other writer's.
                    next.setUploadId(uploadId);
                    status.recordProgress(
                        asset,
                        next,
                        ConditionSpec.notReady(
                            "Uploading", "Uploading " + write.location() + " in parts"),
                        context);
                  }));
      next.setUploadId(null);
      if (outcome instanceof OwnedObjects.Refused refused) {
        return status.record(
            asset, next, ConditionSpec.notReady("Conflict", refused.message()), context);
      }
      if (outcome instanceof OwnedObjects.UpToDate upToDate) {
        describe(next, upToDate.object(), write);
      } else {
        var written = (OwnedObjects.Written) outcome;
        describe(next, written.stored());
        written
            .drift()
            .ifPresent(
                why ->
                    events.record(
                        asset,
                        false,
                        "DriftCorrected",
                        "Restored " + write.location() + ": " + why));
      }
      if (plan.secret()) {
        // Digests of Secret content (sha256, the MD5 ETag) stay out of status and Events.
        next.setSha256(null);
        next.setEtag(null);
      }
      return status.record(asset, next, uploaded(next), context);
    } catch (Problem problem) {
      next.setUploadId(null); // a failed upload aborts itself
      return status.recordProblem(asset, next, problem, ConditionSpec::notReady, context);
    }
  }

  @Override
  public ErrorStatusUpdateControl<BuildAsset> updateErrorStatus(
      BuildAsset asset, Context<BuildAsset> context, Exception e) {
    return status.recordError(
        asset, status.editable(asset, BuildAssetStatus::new), e, ConditionSpec::notReady, context);
  }

  @Override
  public DeleteControl cleanup(BuildAsset asset, Context<BuildAsset> context) {
    return deletion.cleanup(asset, this::identityOf, context);
  }

  @Override
  public List<EventSource<?, BuildAsset>> prepareEventSources(
      EventSourceContext<BuildAsset> context) {
    return List.of(
        new InformerEventSource<>(
            watchReferenced(
                context, ConfigMap.class, CONFIG_MAPS, BuildAssetSource::configMapKeyRef),
            context),
        new InformerEventSource<>(
            watchReferenced(context, Secret.class, SECRETS, BuildAssetSource::secretKeyRef),
            context));
  }

  /** Watches ConfigMaps or Secrets, mapping each to the BuildAssets that name it as a source. */
  private <S extends HasMetadata> InformerEventSourceConfiguration<S> watchReferenced(
      EventSourceContext<BuildAsset> context,
      Class<S> type,
      String name,
      Function<BuildAssetSource, KeyReference> reference) {
    Function<BuildAsset, Optional<String>> referenced =
        asset ->
            Optional.ofNullable(asset.getSpec())
                .map(BuildAssetSpec::source)
                .map(reference)
                .map(KeyReference::name);
    var informer =
        InformerEventSourceConfiguration.from(type, BuildAsset.class)
            .withName(name)
            .withNamespacesInheritedFromController();
    if (context.getControllerConfiguration().getInformerConfig().getNamespaces().size() <= 1) {
      // Only names and versions are kept: the content is read when a BuildAsset needs it, so the
      // cluster's Secrets and ConfigMaps (Helm releases among them) are not held in memory. Not
      // with several namespaces: their informers would share this one store, and each one's list
      // would drop the others' entries.
      // A shard (a label selector) keeps only those its own BuildAssets name. One that arrived
      // before the BuildAsset naming it is kept once a reconcile reads it (remember), so that its
      // deletion still reaches the BuildAsset at once.
      if (context.getControllerConfiguration().getInformerConfig().getLabelSelector() != null) {
        MetadataOnlyStore<S> store =
            new MetadataOnlyStore<>(
                type, object -> naming(context, referenced, object).findAny().isPresent());
        shardStores.put(type, store);
        informer.withItemStore(store);
      } else {
        informer.withItemStore(new MetadataOnlyStore<>(type));
      }
    }
    return informer
        .withPrimaryToSecondaryMapper(
            (BuildAsset asset) ->
                referenced
                    .apply(asset)
                    .map(n -> Set.of(new ResourceID(n, asset.getMetadata().getNamespace())))
                    .orElse(Set.of()))
        .withSecondaryToPrimaryMapper(
            secondary ->
                naming(context, referenced, secondary)
                    .map(ResourceID::fromResource)
                    .collect(Collectors.toSet()))
        .build();
  }

  /** The cached BuildAssets that name this ConfigMap or Secret as their source. */
  private static Stream<BuildAsset> naming(
      EventSourceContext<BuildAsset> context,
      Function<BuildAsset, Optional<String>> referenced,
      HasMetadata secondary) {
    return context
        .getPrimaryCache()
        .list(
            secondary.getMetadata().getNamespace(),
            asset ->
                referenced
                    .apply(asset)
                    .filter(secondary.getMetadata().getName()::equals)
                    .isPresent());
  }

  /** A source a BuildAsset of this shard just read: its shard's store keeps its identity. */
  @SuppressWarnings("unchecked")
  private <S extends HasMetadata> Optional<S> remembered(Class<S> type, Optional<S> source) {
    MetadataOnlyStore<S> store = (MetadataOnlyStore<S>) shardStores.get(type);
    if (store != null) {
      source.ifPresent(store::remember);
    }
    return source;
  }

  /** The identity the asset acts as, with its credentials at hand. */
  private AwsIdentity identityOf(BuildAsset asset) {
    return identities.actingAs(
        asset.getMetadata().getNamespace(), asset.getSpec().serviceAccountName());
  }

  private AssetPlan.Lookups lookups(
      BuildAsset asset, Context<BuildAsset> context, AwsIdentity identity) {
    String namespace = asset.getMetadata().getNamespace();
    return new AssetPlan.Lookups() {
      @Override
      public Optional<ConfigMap> configMap(String name) {
        return remembered(ConfigMap.class, Secrets.configMap(context.getClient(), namespace, name));
      }

      @Override
      public Optional<Secret> secret(String name) {
        return remembered(Secret.class, Secrets.secret(context.getClient(), namespace, name));
      }

      @Override
      public String sourceEtag(BuildAssetSource.S3ObjectSource source) {
        return store
            .head(
                identity,
                asset.getSpec().region(),
                source.bucket(),
                source.key(),
                source.versionId())
            .map(ObjectInfo::etag)
            .orElseThrow(
                () ->
                    new Problem(
                        Reason.SourceNotFound,
                        ObjectStore.location(source.bucket(), source.key())
                            + " does not exist: check spec.source.s3",
                        false));
      }
    };
  }

  /**
   * The ETag this resource recorded for the location, if it wrote the object there. For Secret
   * content no ETag is recorded (it is a digest of the Secret): having written the location stands
   * in for it.
   */
  private static Optional<String> recorded(BuildAsset asset, ObjectWrite write, boolean secret) {
    BuildAssetStatus current = asset.getStatus();
    if (current == null || !write.location().equals(current.getLocation())) {
      return Optional.empty();
    }
    if (current.getEtag() != null) {
      return Optional.of(current.getEtag());
    }
    return secret && current.getUploadedAt() != null
        ? Optional.of(OwnershipCheck.ANY_ETAG)
        : Optional.empty();
  }

  private void describe(BuildAssetStatus next, StoredObject stored) {
    next.setLocation(stored.location());
    next.setEtag(stored.etag());
    next.setVersionId(stored.versionId());
    next.setSize(stored.size());
    next.setSha256(stored.sha256());
    next.setContentType(stored.contentType());
    next.setUploadedAt(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
  }

  private static void describe(BuildAssetStatus next, ObjectInfo object, ObjectWrite write) {
    boolean sameObject = object.etag().equals(next.getEtag());
    next.setLocation(write.location());
    next.setEtag(object.etag());
    next.setVersionId(object.versionId());
    next.setSize(object.size());
    String sha256 = object.metadata().get(ObjectOwner.SHA256);
    next.setSha256(sha256 != null ? sha256 : sameObject ? next.getSha256() : null);
    next.setContentType(object.contentType());
    if (!sameObject || next.getUploadedAt() == null) {
      next.setUploadedAt(object.lastModified() == null ? null : object.lastModified().toString());
    }
  }

  private static ConditionSpec uploaded(BuildAssetStatus s) {
    return ConditionSpec.ready(
        "Uploaded",
        s.getLocation()
            + " holds "
            + s.getSize()
            + " bytes"
            + (s.getSha256() == null ? "" : " with sha256 " + s.getSha256()));
  }

  @Override
  public List<String> mainConditions() {
    return List.of(ConditionSpec.READY);
  }
}
