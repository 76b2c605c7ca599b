"""counter-hq: head office's server that receives, verifies and reports every counter's events."""
