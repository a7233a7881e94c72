"""Record: the buffer the hooks fill, its conversion to schema-v1 columns, and the cores it may use."""
