package dev.buildserver.crd;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ledger.BalanceReport;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A build step after the fabric8 CRD generator, which sorts printer columns by JSON path: it puts
 * them back in the order the API classes declare them (the contract's order, ending in Age). It
 * works on the YAML text, moving whole column entries, so the rest of the file stays exactly as
 * generated. Run by Maven in process-test-classes; {@code make crds} copies the result.
 */
public final class PrinterColumnOrder {

  static final List<Class<? extends HasMetadata>> KINDS =
      List.of(BuildAsset.class, Ec2TestRun.class, BalanceReport.class);

  private PrinterColumnOrder() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    for (Class<? extends HasMetadata> kind : KINDS) {
      Path file = dir.resolve(HasMetadata.getFullResourceName(kind) + "-v1.yml");
      Files.writeString(file, reorder(Files.readString(file), declaredOrder(kind)));
    }
  }

  /** The column names in the order the class declares its {@code @AdditionalPrinterColumn}s. */
  static List<String> declaredOrder(Class<?> kind) {
    return Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
        .map(AdditionalPrinterColumn::name)
        .toList();
  }

  /** The YAML with its additionalPrinterColumns entries sorted by their place in {@code order}. */
  static String reorder(String yaml, List<String> order) {
    List<String> lines = new ArrayList<>(yaml.lines().toList());
    int header = indexOf(lines, "additionalPrinterColumns:");
    String entryStart = " ".repeat(indentOf(lines.get(header + 1))) + "- ";
    String entryBody = " ".repeat(entryStart.length());
    List<List<String>> entries = new ArrayList<>();
    int end = header + 1;
    while (end < lines.size()
        && (lines.get(end).startsWith(entryStart) || lines.get(end).startsWith(entryBody))) {
      if (lines.get(end).startsWith(entryStart)) {
        entries.add(new ArrayList<>());
      }
      entries.get(entries.size() - 1).add(lines.get(end));
      end++;
    }
    List<String> names = entries.stream().map(PrinterColumnOrder::nameOf).toList();
    if (!order.containsAll(names) || names.size() != order.size()) {
      throw new IllegalStateException("generated columns " + names + " differ from " + order);
    }
    entries.sort(Comparator.comparingInt(entry -> order.indexOf(nameOf(entry))));
    List<String> result = new ArrayList<>(lines.subList(0, header + 1));
    entries.forEach(result::addAll);
    result.addAll(lines.subList(end, lines.size()));
    return String.join("\n", result) + "\n";
  }

  private static String nameOf(List<String> entry) {
    return entry.stream()
        .map(line -> line.strip().replaceFirst("^- ", ""))
        .filter(line -> line.startsWith("name: "))
        .map(line -> line.substring("name: ".length()).replace("\"", ""))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("a printer column without a name"));
  }

  private static int indexOf(List<String> lines, String suffix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).endsWith(suffix)) {
        return i;
      }
    }
    throw new IllegalStateException("no " + suffix + " in the generated CRD");
  }

  private static int indentOf(String line) {
    return line.length() - line.stripLeading().length();
  }
}
