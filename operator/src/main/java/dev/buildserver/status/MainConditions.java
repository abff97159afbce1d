package dev.buildserver.status;

import java.util.List;

/** A reconciler's kind names the conditions that tell its state (Ready; Complete and Succeeded). */
public interface MainConditions {

  List<String> mainConditions();
}
