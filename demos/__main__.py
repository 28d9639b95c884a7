"""``make demo``: run every demo in order (placeholder until the demos land)."""

print("pathgrad demos: coming with the demos issue; the engine is ready: python -c 'import autograd'")
