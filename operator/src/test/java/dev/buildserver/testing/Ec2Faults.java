package dev.buildserver.testing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.RunInstancesResponse;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;

/**
 * EC2 behaviour moto cannot produce, injected into the operator's SDK clients: instances held in
 * {@code pending}, throttled or refused RunInstances, a failure right after RunInstances (as if the
 * operator died before writing status). Also counts calls and instances alive at once.
 */
public final class Ec2Faults implements ExecutionInterceptor {

  private static final String RUN_TAG = "buildserver.dev/run";

  private final Set<String> pendingRuns = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> throttles = new ConcurrentHashMap<>();
  private final Map<String, String> refusals = new ConcurrentHashMap<>();
  private final Set<String> failAfterLaunch = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> hiddenLookups = new ConcurrentHashMap<>();
  private volatile boolean throttleDescribes;
  private volatile int vanishAfter = -1;
  private final AtomicInteger answersById = new AtomicInteger();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Set<String> alive = ConcurrentHashMap.newKeySet();
  private final AtomicInteger mostAlive = new AtomicInteger();

  /** Instances of this run (namespace/name) stay pending in every DescribeInstances answer. */
  public void holdPending(String run) {
    pendingRuns.add(run);
  }

  /** The next {@code times} RunInstances of this run fail with RequestLimitExceeded. */
  public void throttle(String run, int times) {
    throttles.put(run, new AtomicInteger(times));
  }

  /** RunInstances of this run fails with this EC2 error code. */
  public void refuse(String run, String code) {
    refusals.put(run, code);
  }

  /**
   * The first RunInstances of this run launches, then fails before its answer reaches the caller.
   */
  public void failAfterLaunch(String run) {
    failAfterLaunch.add(run);
  }

  /**
   * The next {@code times} owner-tag lookups of this run uid find nothing, as EC2's eventually
   * consistent DescribeInstances does right after RunInstances.
   */
  public void hideOwnerLookups(String uid, int times) {
    hiddenLookups.put(uid, new AtomicInteger(times));
  }

  /** Owner-tag lookups of this uid that were hidden so far are used up. */
  public boolean ownerLookupsExhausted(String uid) {
    AtomicInteger left = hiddenLookups.get(uid);
    return left == null || left.get() <= 0;
  }

  /** Every DescribeInstances by instance id fails with RequestLimitExceeded. */
  public void throttleDescribes() {
    throttleDescribes = true;
  }

  /** After {@code answers} DescribeInstances by instance id, the instance is no longer found. */
  public void vanishAfter(int answers) {
    answersById.set(0);
    vanishAfter = answers;
  }

  public int calls(String operation) {
    return calls.getOrDefault(operation, new AtomicInteger()).get();
  }

  public Map<String, Integer> calls() {
    Map<String, Integer> result = new HashMap<>();
    calls.forEach((k, v) -> result.put(k, v.get()));
    return result;
  }

  public void resetCounts() {
    calls.clear();
  }

  /** The most instances that were launched and not yet terminated at one time. */
  public int mostAliveAtOnce() {
    return mostAlive.get();
  }

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    SdkRequest request = context.request();
    calls
        .computeIfAbsent(
            request.getClass().getSimpleName().replace("Request", ""), k -> new AtomicInteger())
        .incrementAndGet();
    if (request instanceof RunInstancesRequest run) {
      String owner = owner(run);
      AtomicInteger left = throttles.get(owner);
      if (left != null && left.getAndDecrement() > 0) {
        throw error("RequestLimitExceeded", "Request limit exceeded.", 503);
      }
      if (refusals.containsKey(owner)) {
        throw error(refusals.get(owner), "refused by the test", 403);
      }
    }
    if (request instanceof DescribeInstancesRequest describe
        && !describe.instanceIds().isEmpty()
        && throttleDescribes) {
      throw error("RequestLimitExceeded", "Request limit exceeded.", 503);
    }
    if (request instanceof TerminateInstancesRequest terminate) {
      alive.removeAll(terminate.instanceIds());
    }
  }

  @Override
  public SdkResponse modifyResponse(
      Context.ModifyResponse context, ExecutionAttributes attributes) {
    SdkResponse response = context.response();
    if (response instanceof RunInstancesResponse launched) {
      launched.instances().forEach(i -> alive.add(i.instanceId()));
      mostAlive.accumulateAndGet(alive.size(), Math::max);
      String owner = owner((RunInstancesRequest) context.request());
      if (failAfterLaunch.remove(owner)) {
        throw new IllegalStateException("the operator died right after RunInstances (test)");
      }
    }
    if (response instanceof DescribeInstancesResponse described
        && context.request() instanceof DescribeInstancesRequest describe) {
      if (hidden(describe) || vanished(describe)) {
        return described.toBuilder().reservations(List.of()).build();
      }
    }
    if (response instanceof DescribeInstancesResponse described && !pendingRuns.isEmpty()) {
      List<Reservation> reservations =
          described.reservations().stream()
              .map(
                  r ->
                      r.toBuilder()
                          .instances(r.instances().stream().map(this::maybePending).toList())
                          .build())
              .toList();
      return described.toBuilder().reservations(reservations).build();
    }
    return response;
  }

  private boolean hidden(DescribeInstancesRequest describe) {
    return describe.filters().stream()
        .filter(f -> f.name().equals("tag:buildserver.dev/run-uid"))
        .flatMap(f -> f.values().stream())
        .map(hiddenLookups::get)
        .anyMatch(left -> left != null && left.getAndDecrement() > 0);
  }

  private boolean vanished(DescribeInstancesRequest describe) {
    return !describe.instanceIds().isEmpty()
        && vanishAfter >= 0
        && answersById.incrementAndGet() > vanishAfter;
  }

  private Instance maybePending(Instance instance) {
    boolean held =
        instance.tags().stream()
            .anyMatch(t -> t.key().equals(RUN_TAG) && pendingRuns.contains(t.value()));
    if (!held || instance.state().name() != InstanceStateName.RUNNING) {
      return instance;
    }
    return instance.toBuilder().state(s -> s.name(InstanceStateName.PENDING).code(0)).build();
  }

  private static String owner(RunInstancesRequest run) {
    return run.tagSpecifications().stream()
        .flatMap(t -> t.tags().stream())
        .filter(t -> t.key().equals(RUN_TAG))
        .map(t -> t.value())
        .findFirst()
        .orElse("");
  }

  private static Ec2Exception error(String code, String message, int status) {
    return (Ec2Exception)
        Ec2Exception.builder()
            .statusCode(status)
            .message(message)
            .awsErrorDetails(
                AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
            .build();
  }
}
