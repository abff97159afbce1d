package dev.buildserver.common;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Names one key of a ConfigMap or Secret in the resource's own namespace. */
public record KeyReference(
    @Required
        @JsonPropertyDescription("Name of the ConfigMap or Secret, in the resource's namespace.")
        String name,
    @Required @JsonPropertyDescription("The key inside it whose value is used.") String key) {}
