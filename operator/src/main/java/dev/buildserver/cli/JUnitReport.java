package dev.buildserver.cli;

import dev.buildserver.ec2.Ec2TestRunStatus;
import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * {@code builder ec2-test --junit FILE}: the run as JUnit XML, the format Jenkins, GitLab and
 * GitHub read. One test case per check; a failed check is a {@code <failure>}. The launch (and any
 * error that stopped the run) is an {@code <error>}: the smoke test could not be carried out, which
 * is not the same as an instance that failed a check.
 */
final class JUnitReport {

  static final String SUITE = "builder ec2-test";
  private static final String LAUNCH = "launch";

  private JUnitReport() {}

  /**
   * Writes the report.
   *
   * @param error why the run stopped before it finished, or null
   */
  static void write(
      Path file,
      String region,
      Ec2TestRunStatus status,
      Instant started,
      Instant ended,
      String error)
      throws IOException {
    Document xml = document();
    List<Check> checks = status.getChecks() == null ? List.of() : status.getChecks();
    Element suite = xml.createElement("testsuite");
    suite.setAttribute("name", SUITE);
    suite.setAttribute("timestamp", started.truncatedTo(ChronoUnit.SECONDS).toString());
    suite.setAttribute("time", seconds(Duration.between(started, ended)));
    properties(xml, suite, region, status);
    int failures = 0;
    int errors = 0;
    for (Check check : checks) {
      Element testCase = testCase(xml, suite, region, check.name());
      if (check.passed()) {
        continue;
      }
      boolean launch = LAUNCH.equals(check.name());
      Element problem = xml.createElement(launch ? "error" : "failure");
      problem.setAttribute(
          "message",
          launch ? check.actual() : "expected " + check.expected() + ", found " + check.actual());
      problem.setAttribute("type", launch ? "LaunchError" : "CheckFailed");
      testCase.appendChild(problem);
      if (launch) {
        errors++;
      } else {
        failures++;
      }
    }
    if (error != null) {
      Element testCase = testCase(xml, suite, region, checks.isEmpty() ? LAUNCH : "run");
      Element problem = xml.createElement("error");
      problem.setAttribute("message", error);
      problem.setAttribute("type", "RunError");
      testCase.appendChild(problem);
      errors++;
    }
    suite.setAttribute("tests", String.valueOf(suite.getElementsByTagName("testcase").getLength()));
    suite.setAttribute("failures", String.valueOf(failures));
    suite.setAttribute("errors", String.valueOf(errors));
    suite.setAttribute("skipped", "0");
    Element suites = xml.createElement("testsuites");
    suites.appendChild(suite);
    xml.appendChild(suites);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      var transformer = TransformerFactory.newInstance().newTransformer();
      transformer.setOutputProperty(OutputKeys.INDENT, "yes");
      transformer.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
      transformer.transform(new DOMSource(xml), new StreamResult(out));
    } catch (TransformerException e) {
      throw new IOException("cannot write JUnit XML: " + e.getMessage(), e);
    }
  }

  private static void properties(
      Document xml, Element suite, String region, Ec2TestRunStatus status) {
    Element properties = xml.createElement("properties");
    property(xml, properties, "region", region);
    property(xml, properties, "instanceId", status.getInstanceId());
    property(xml, properties, "instanceType", status.getInstanceType());
    property(xml, properties, "availabilityZone", status.getAvailabilityZone());
    property(xml, properties, "phase", status.getPhase() == null ? null : status.getPhase().name());
    if (status.getTimeToRunningSeconds() != null) {
      property(
          xml,
          properties,
          "timeToRunningSeconds",
          String.valueOf(status.getTimeToRunningSeconds()));
    }
    suite.appendChild(properties);
  }

  private static void property(Document xml, Element properties, String name, String value) {
    if (value == null) {
      return;
    }
    Element property = xml.createElement("property");
    property.setAttribute("name", name);
    property.setAttribute("value", value);
    properties.appendChild(property);
  }

  private static Element testCase(Document xml, Element suite, String region, String name) {
    Element testCase = xml.createElement("testcase");
    testCase.setAttribute("classname", "ec2-test." + region);
    testCase.setAttribute("name", name);
    testCase.setAttribute("time", "0");
    suite.appendChild(testCase);
    return testCase;
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.3f", duration.toMillis() / 1000.0);
  }

  private static Document document() {
    try {
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }
}
