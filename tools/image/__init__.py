"""`python3 tasks.py image`: build the container image with whatever engine works here, then run
and smoke-test it. The sandbox settings some engines need live here, never in the image."""
