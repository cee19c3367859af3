// Placeholder so the target builds; replaced by the chat client's logic.
