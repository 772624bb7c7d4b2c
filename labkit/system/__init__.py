"""The userspace of a lab host beyond NetworkManager: udev's link policy, the machine's identity."""
