/* An empty library: loading it is the whole point (see lazy-handler). */
int faultline_probe_loaded = 1;
