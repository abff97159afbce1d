package dev.buildserver.ledger;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** One page of the ledger API: {@code {"totalCount": 38, "page": 1, "transactions": [...]}}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LedgerPage(Long totalCount, Integer page, List<Transaction> transactions) {

  public List<Transaction> transactionsOrEmpty() {
    return transactions == null ? List.of() : transactions;
  }
}
