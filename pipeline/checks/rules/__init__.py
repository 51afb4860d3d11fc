"""The rules of `crebis check`, one module per family; each function yields findings for one file or project."""
