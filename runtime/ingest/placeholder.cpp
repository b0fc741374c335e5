namespace vigil::ingest {}
