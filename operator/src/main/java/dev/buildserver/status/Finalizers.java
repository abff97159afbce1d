package dev.buildserver.status;

/** The finalizer every buildserver resource carries until its cleanup is done. */
public final class Finalizers {
  public static final String NAME = "buildserver.dev/finalizer";

  private Finalizers() {}
}
