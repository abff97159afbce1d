package dev.buildserver.ledger;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One ledger transaction as the API serves it; Amount is a decimal string such as "-110.71". */
public record Transaction(
    @JsonProperty("Date") String date,
    @JsonProperty("Ledger") String ledger,
    @JsonProperty("Amount") String amount,
    @JsonProperty("Company") String company) {}
