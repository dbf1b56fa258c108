package dev.taskmesh.contract.agent;

import java.util.List;

/** Several {@link CompletionReceipt}s in one frame, sent only to an agent that announced batches. */
public record CompletionReceipts(List<CompletionReceipt> receipts) {

    public CompletionReceipts {
        receipts = List.copyOf(receipts);
    }
}
