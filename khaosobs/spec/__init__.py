"""The spec as read: files, YAML with positions, merging, the model, its structure, salvage."""
