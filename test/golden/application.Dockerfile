# Rendered by fireworker-images from the application settings; do not edit.
ARG from=runtime
FROM ${from}

# git facts come from outside the image (the payload's last commit, never the wall clock)
ARG git_hash=""
ARG git_branch=""
ARG timestamp=""
ENV IMAGE_GIT_HASH="${git_hash}" \
    IMAGE_GIT_BRANCH="${git_branch}" \
    IMAGE_TIMESTAMP="${timestamp}"

COPY . /app
WORKDIR /app
CMD ["python","main.py"]
