"""The Whoosh index over the stored records: schema, analyzers, writing, rebuilding."""
