"""The netns engine: lab hosts as network namespaces of the host kernel (pyroute2)."""
