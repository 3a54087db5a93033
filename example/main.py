"""A tiny payload: prints where it runs and the image's git metadata."""
import os
import platform


def main() -> None:
    print(f"fireworker example payload on Python {platform.python_version()}")
    for key in ("IMAGE_GIT_HASH", "IMAGE_GIT_BRANCH", "IMAGE_TIMESTAMP"):
        print(f"{key}={os.environ.get(key, '')}")


if __name__ == "__main__":
    main()
