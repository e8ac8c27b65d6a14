"""Search: keyword and vector retrieval, fused; date scoping."""
