package dev.buildserver.api;

import io.micronaut.core.annotation.Nullable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Decides from a request's headers alone whether the HTTP API serves it, in this order: a Host that
 * is not loopback while the server listens on loopback only (DNS rebinding) and an Origin that is
 * not the server's own (a web page of another site) are 403; a missing or wrong bearer token is
 * 401; a write with a content type a plain HTML form can send, or none, is 415.
 */
public final class ApiAccessCheck {

  /** The most characters of a header value a message repeats. */
  static final int ECHO_LIMIT = 120;

  private static final Set<String> FORM_TYPES =
      Set.of("application/x-www-form-urlencoded", "multipart/form-data", "text/plain");
  private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
  private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private final Predicate<String> tokenAccepted;
  private final boolean loopbackOnly;

  /**
   * @param tokenAccepted whether a presented bearer token is the API's token
   * @param loopbackOnly whether the server listens on a loopback address only
   */
  public ApiAccessCheck(Predicate<String> tokenAccepted, boolean loopbackOnly) {
    this.tokenAccepted = tokenAccepted;
    this.loopbackOnly = loopbackOnly;
  }

  /**
   * What the check reads of a request: its method and path, the headers named (null when absent),
   * whether it came over TLS, and the local port it reached.
   */
  public record Call(
      String method,
      String path,
      @Nullable String host,
      @Nullable String origin,
      @Nullable String contentType,
      @Nullable String authorization,
      boolean secure,
      int port) {}

  /** Why a call is refused: an HTTP status and a message that says what to do instead. */
  public record Refusal(int status, String message) {

    /** The CamelCase reason of the JSON error body, as for every other error of the API. */
    public String reason() {
      return ApiErrorBody.reason(status);
    }
  }

  /** The refusal of this call, or empty when the API may serve it. */
  public Optional<Refusal> check(Call call) {
    String terminal =
        "call http://127.0.0.1:" + call.port() + " from a terminal or a program, not a web page";
    if (loopbackOnly && !isLoopbackHost(call.host())) {
      String host =
          call.host() == null
              ? "the request has no Host header"
              : "Host " + echo(call.host()) + " is not a loopback name or address";
      return refuse(
          403,
          host
              + ", and this server listens on loopback only (a web page may have reached it"
              + " through DNS rebinding): "
              + terminal);
    }
    if (call.origin() != null && !isOwnOrigin(call)) {
      return refuse(
          403,
          "Origin "
              + echo(call.origin())
              + " is not this server's own origin: the API does not answer web pages of other"
              + " sites; "
              + terminal);
    }
    String authorization = call.authorization() == null ? "" : call.authorization();
    String presented = authorization.startsWith("Bearer ") ? authorization.substring(7).trim() : "";
    if (presented.isEmpty() || !tokenAccepted.test(presented)) {
      return refuse(
          401,
          "missing or wrong bearer token: send Authorization: Bearer <token> with"
              + " buildserver.api.token, or with the token the operator wrote at start to the file"
              + " its log names (make run and make stack export it as BUILDSERVER_API_TOKEN in"
              + " .local/env)");
    }
    if ("POST".equalsIgnoreCase(call.method())
        && call.path().startsWith("/buildserver/")
        && isFormType(call.contentType())) {
      return refuse(
          415,
          (call.contentType() == null || call.contentType().isBlank()
                  ? "a write needs a Content-Type"
                  : "Content-Type " + echo(call.contentType()) + " is one a web form can send")
              + ": send Content-Type: application/octet-stream (or the content's own type, such"
              + " as application/json) and name the object's type with the contentType query"
              + " parameter");
    }
    return Optional.empty();
  }

  private static Optional<Refusal> refuse(int status, String message) {
    return Optional.of(new Refusal(status, message));
  }

  /** Whether a Content-Type (its media type, parameters aside) is one a plain form can send. */
  static boolean isFormType(@Nullable String contentType) {
    if (contentType == null) {
      return true;
    }
    int parameters = contentType.indexOf(';');
    String essence =
        (parameters < 0 ? contentType : contentType.substring(0, parameters))
            .strip()
            .toLowerCase(Locale.ROOT);
    return essence.isEmpty() || FORM_TYPES.contains(essence);
  }

  /** Whether a Host header names localhost, 127.0.0.0/8 or ::1 (never a DNS lookup). */
  static boolean isLoopbackHost(@Nullable String hostHeader) {
    HostAndPort host = HostAndPort.parse(hostHeader);
    if (host == null) {
      return false;
    }
    String name = host.name();
    if (name.equals("localhost") || name.equals("localhost.")) {
      return true;
    }
    if (isLoopbackIpv4(name)) {
      return true;
    }
    if (host.bracketed() && IPV6_LITERAL.matcher(name).matches()) {
      try {
        // A literal with a colon is parsed, never looked up.
        return InetAddress.getByName(name).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** Whether a name is 127.x.y.z in plain dotted decimal. */
  private static boolean isLoopbackIpv4(String name) {
    String[] octets = name.split("\\.", -1);
    if (octets.length != 4 || !octets[0].equals("127")) {
      return false;
    }
    for (String octet : octets) {
      if (!OCTET.matcher(octet).matches() || Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return true;
  }

  /** Whether the Origin is scheme://host:port of the request's own Host; "null" never is. */
  private static boolean isOwnOrigin(Call call) {
    String scheme = call.secure() ? "https" : "http";
    HostAndPort own = HostAndPort.parse(call.host());
    String origin = call.origin();
    int separator = origin.indexOf("://");
    if (own == null || separator < 0) {
      return false;
    }
    HostAndPort claimed = HostAndPort.parse(origin.substring(separator + 3));
    return claimed != null
        && origin.substring(0, separator).toLowerCase(Locale.ROOT).equals(scheme)
        && claimed.name().equals(own.name())
        && claimed.portOr(scheme) == own.portOr(scheme);
  }

  /**
   * A header value fit to repeat in a message: control and format characters removed, at most
   * {@value #ECHO_LIMIT} characters of it, in quotes.
   */
  static String echo(String value) {
    StringBuilder shown = new StringBuilder("\"");
    int kept = 0;
    for (int i = 0; i < value.length(); ) {
      int codePoint = value.codePointAt(i);
      i += Character.charCount(codePoint);
      if (Character.isISOControl(codePoint) || Character.getType(codePoint) == Character.FORMAT) {
        continue;
      }
      if (kept == ECHO_LIMIT) {
        return shown.append("…\" (cut)").toString();
      }
      shown.appendCodePoint(codePoint);
      kept++;
    }
    return shown.append('"').toString();
  }

  /**
   * The host (lower case, without brackets) and port of a Host header or of an origin after its
   * scheme; null when it is not exactly that.
   */
  private record HostAndPort(String name, int port, boolean bracketed) {

    @Nullable
    static HostAndPort parse(@Nullable String value) {
      if (value == null || value.isEmpty()) {
        return null;
      }
      String name;
      String rest;
      boolean bracketed = value.startsWith("[");
      if (bracketed) {
        int close = value.indexOf(']');
        if (close < 0) {
          return null;
        }
        name = value.substring(1, close);
        rest = value.substring(close + 1);
      } else {
        int colon = value.indexOf(':');
        name = colon < 0 ? value : value.substring(0, colon);
        rest = colon < 0 ? "" : value.substring(colon);
      }
      if (name.isEmpty() || (!bracketed && !name.matches("[A-Za-z0-9._-]+"))) {
        return null;
      }
      int port = -1;
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":") || !PORT.matcher(rest.substring(1)).matches()) {
          return null;
        }
        port = Integer.parseInt(rest.substring(1));
        if (port > 65535) {
          return null;
        }
      }
      return new HostAndPort(name.toLowerCase(Locale.ROOT), port, bracketed);
    }

    int portOr(String scheme) {
      return port >= 0 ? port : scheme.equals("https") ? 443 : 80;
    }
  }
}
