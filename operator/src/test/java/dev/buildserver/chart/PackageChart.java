package dev.buildserver.chart;

import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code make chart}: lints the chart strictly and packages it, with real Helm (helm-java). */
public final class PackageChart {

  private PackageChart() {}

  public static void main(String[] args) throws Exception {
    Path chart = Path.of(args[0]);
    Path out = Path.of(args[1]);
    var lint = new Helm(chart).lint().strict().call();
    if (lint.isFailed()) {
      System.err.println("helm lint failed:\n" + String.join("\n", lint.getMessages()));
      System.exit(1);
    }
    Files.createDirectories(out);
    new Helm(chart).packageIt().withDestination(out).call();
    try (var files = Files.list(out)) {
      files.forEach(f -> System.out.println("packaged " + f));
    }
  }
}
