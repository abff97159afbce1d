package dev.buildserver.status;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A knob a message tells the user to turn, named the way each entry point spells it: a spec field
 * for the operator, a flag for the CLI, a query parameter for the HTTP API. Shared code writes
 * {@link #mention()} into a {@link Problem}'s message; the entry point that shows the message
 * renders it ({@link Problem#messageFor}), so one message serves all three without copies.
 */
public enum Setting {
  CREATE_BUCKET("spec.createBucket: true", "--create-bucket", "createBucket=true"),
  SHA256("spec.sha256", "--sha256", "sha256"),
  REGION("spec.region", "--region", "region"),
  SOURCE_URL("spec.source.url", "--url", "the URL"),
  LEDGER_TOKEN("spec.ledger.authSecretRef", "BUILDER_LEDGER_TOKEN", "the ledger token");

  /** Who reads the message. */
  public enum Audience {
    OPERATOR,
    CLI,
    HTTP
  }

  private static final Pattern MENTION = Pattern.compile("\\{\\{([A-Z0-9_]+)}}");

  private final String field;
  private final String flag;
  private final String parameter;

  Setting(String field, String flag, String parameter) {
    this.field = field;
    this.flag = flag;
    this.parameter = parameter;
  }

  /** A placeholder for this setting inside a message, rendered by {@link #render}. */
  public String mention() {
    return "{{" + name() + "}}";
  }

  /** The name this audience knows the setting by. */
  public String nameFor(Audience audience) {
    return switch (audience) {
      case OPERATOR -> field;
      case CLI -> flag;
      case HTTP -> parameter;
    };
  }

  /** The message with every mention replaced by the audience's name for it. */
  public static String render(String message, Audience audience) {
    if (message == null || !message.contains("{{")) {
      return message;
    }
    Matcher matcher = MENTION.matcher(message);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String mentioned = matcher.group(1);
      String name =
          Arrays.stream(values())
              .filter(setting -> setting.name().equals(mentioned))
              .findFirst()
              .map(setting -> setting.nameFor(audience))
              .orElse(matcher.group());
      matcher.appendReplacement(out, Matcher.quoteReplacement(name));
    }
    return matcher.appendTail(out).toString();
  }
}
