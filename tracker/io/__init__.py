"""File formats and frame sources: MOTChallenge text files, deep_sort .npy, videos, folders."""
