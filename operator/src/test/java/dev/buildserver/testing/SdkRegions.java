package dev.buildserver.testing;

import java.lang.reflect.Field;
import java.util.Map;

/** The AWS SDK's own cache of every region name it was ever given (Region.of keeps them all). */
public final class SdkRegions {

  private SdkRegions() {}

  @SuppressWarnings("unchecked")
  public static Map<String, ?> cached() throws ReflectiveOperationException {
    Class<?> cache = Class.forName("software.amazon.awssdk.regions.Region$RegionCache");
    Field values = cache.getDeclaredField("VALUES");
    values.setAccessible(true);
    return (Map<String, ?>) values.get(null);
  }
}
