"""Engines: one interface (`Engine`), three implementations (sim, netns, vm); select picks."""
