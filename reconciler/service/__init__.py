"""The service: the watcher loop, intake of inbox files, one file's lifecycle, the limited child."""
