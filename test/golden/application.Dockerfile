# Rendered by fireworker-images from the application settings; do not edit.
ARG from=runtime
FROM ${from}

# git facts come from outside the image (the payload's last commit, never the wall clock)
ARG git_hash=""
ARG git_branch=""
ARG timestamp=""
ARG label_application=""
ARG label_email=""
ARG label_license=""
ARG label_organization=""
ARG label_website=""
ARG source=""
ARG created=""
ENV IMAGE_GIT_HASH="${git_hash}" \
    IMAGE_GIT_BRANCH="${git_branch}" \
    IMAGE_TIMESTAMP="${timestamp}"
LABEL application="${label_application}" \
      email="${label_email}" \
      license="${label_license}" \
      organization="${label_organization}" \
      website="${label_website}" \
      org.opencontainers.image.title="${label_application}" \
      org.opencontainers.image.licenses="${label_license}" \
      org.opencontainers.image.url="${label_website}" \
      org.opencontainers.image.vendor="${label_organization}" \
      org.opencontainers.image.source="${source}" \
      org.opencontainers.image.revision="${git_hash}" \
      org.opencontainers.image.created="${created}"

COPY . /app
WORKDIR /app
CMD ["python","main.py"]
