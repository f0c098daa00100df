"""Reading and writing files: MOTChallenge formats, videos, image folders."""
