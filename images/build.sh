#!/usr/bin/env bash
# Builds the Fleetstats container images from the jars that `mvn package` made, with podman (or
# docker). Without --base it needs no image registry: the base image, a Debian bookworm root
# filesystem with openjdk-17-jre-headless, is made here by mmdebstrap (cached) and imported as
# localhost/jre17. See images/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: images/build.sh [options] [image...]

Builds the images fleetstats/<image>:<version> (podman also names them
localhost/fleetstats/<image>:<version>) from the jars under <module>/target.
Images: edge-agent stream-processor wavefront-sink prometheus-sink tools (default: all).

Options:
  --base IMAGE     base image with a Java 17 runtime (e.g. eclipse-temurin:17-jre);
                   default: localhost/jre17, made offline from Debian packages
  --rebuild-base   make the Debian root filesystem and localhost/jre17 again
  --package        build the jars first (mvn -B -o package -DskipTests -pl <modules> -am)
  --engine NAME    podman (default) or docker
  -h, --help       this text

Environment:
  FLEETSTATS_CACHE          where the root filesystem tarball is kept (~/.cache/fleetstats)
  FLEETSTATS_DEBIAN_MIRROR  Debian mirror for mmdebstrap (http://deb.debian.org)

Offline base image needs: podman, runc and mmdebstrap (apt-get install -y podman runc
mmdebstrap); on hosts where crun fails, /etc/containers/containers.conf with runtime = "runc"
(see images/README.md).
EOF
}

say() { printf '[images] %s\n' "$*" >&2; }
die() {
  printf 'images/build.sh: %s\n' "$*" >&2
  exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd)
engine=podman
base=
rebuild_base=false
package=false
images=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --base) [ $# -ge 2 ] || die "--base needs an image name"; base=$2; shift 2 ;;
    --base=*) base=${1#--base=}; shift ;;
    --rebuild-base) rebuild_base=true; shift ;;
    --package) package=true; shift ;;
    --engine) [ $# -ge 2 ] || die "--engine needs podman or docker"; engine=$2; shift 2 ;;
    --engine=*) engine=${1#--engine=}; shift ;;
    edge-agent | stream-processor | wavefront-sink | prometheus-sink | tools) images+=("$1"); shift ;;
    *) die "unknown argument '$1' (images: edge-agent stream-processor wavefront-sink prometheus-sink tools; see --help)" ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=(edge-agent stream-processor wavefront-sink prometheus-sink tools)
case "$engine" in podman | docker) ;; *) die "--engine must be podman or docker, not '$engine'" ;; esac
command -v "$engine" >/dev/null 2>&1 ||
  die "$engine is not installed (Debian: apt-get install -y podman runc mmdebstrap)"

# The project version without -SNAPSHOT: the parent POM's first <version>.
version=$(sed -n 's:.*<version>\([^<]*\)</version>.*:\1:p' "$root/pom.xml" | head -n 1)
version=${version%-SNAPSHOT}
[ -n "$version" ] || die "cannot read the project version from $root/pom.xml"

# image -> Maven module(s) and the jar(s) it ships, as "source-glob:name-in-image".
modules_of() {
  case "$1" in
    edge-agent) echo edge-agent ;;
    stream-processor) echo stream-processor ;;
    wavefront-sink) echo wavefront-sink ;;
    prometheus-sink) echo prometheus-sink ;;
    tools) echo local-stack ;;
  esac
}
jars_of() {
  case "$1" in
    edge-agent) echo "edge-agent/target/fleetstats-edge-agent-*-all.jar:fleetstats-edge-agent.jar" ;;
    stream-processor) echo "stream-processor/target/fleetstats-stream-processor.jar:fleetstats-stream-processor.jar" ;;
    wavefront-sink) echo "wavefront-sink/target/fleetstats-wavefront-sink-*-standalone.jar:fleetstats-wavefront-sink.jar" ;;
    prometheus-sink) echo "prometheus-sink/target/fleetstats-prometheus-sink.jar:fleetstats-prometheus-sink.jar" ;;
    tools)
      echo "local-stack/target/fleetstats-local.jar:fleetstats-local.jar"
      # optional: the admission webhook, once its module exists and was built
      echo "?sidecar-injector/target/fleetstats-sidecar-injector*.jar:fleetstats-sidecar-injector.jar"
      ;;
  esac
}

# The largest file matching a glob (a shaded jar is the largest of its module's jars), or nothing.
find_jar() {
  local glob=$1 best= size best_size=0 f
  for f in $root/$glob; do
    [ -f "$f" ] || continue
    case "$f" in *-sources.jar | *-javadoc.jar | *-tests.jar | */original-*) continue ;; esac
    size=$(stat -c %s "$f")
    if [ "$size" -gt "$best_size" ]; then best=$f; best_size=$size; fi
  done
  printf '%s' "$best"
}

if $package; then
  modules=$(for i in "${images[@]}"; do modules_of "$i"; done | sort -u | paste -sd, -)
  [ -d "$root/sidecar-injector" ] && [[ " ${images[*]} " == *" tools "* ]] && modules="$modules,sidecar-injector"
  say "building the jars: mvn -B -o package -DskipTests -pl $modules -am"
  (cd "$root" && mvn -B -q -o package -DskipTests -pl "$modules" -am) || die "mvn package failed"
fi

# Stage each image's context: lib/<jar> and an empty state/ (the writable /var/lib/fleetstats).
stage=$root/target/images
missing=()
for image in "${images[@]}"; do
  ctx=$stage/$image
  rm -rf "$ctx"
  mkdir -p "$ctx/lib" "$ctx/state"
  while IFS= read -r entry; do
    optional=false
    if [[ $entry == \?* ]]; then optional=true; entry=${entry#\?}; fi
    glob=${entry%%:*}
    name=${entry##*:}
    jar=$(find_jar "$glob")
    if [ -z "$jar" ]; then
      $optional || missing+=("$glob")
      $optional && say "$image: no $glob (optional; built without $name)"
      continue
    fi
    cp "$jar" "$ctx/lib/$name"
  done < <(jars_of "$image")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing jars: ${missing[*]}
  build them with: mvn -B -o package -DskipTests -pl $(for i in "${images[@]}"; do modules_of "$i"; done | sort -u | paste -sd, -) -am
  or run: images/build.sh --package ${images[*]}"
fi

# The offline base: Debian bookworm + openjdk-17-jre-headless, no shell needed at run time but
# present (Debian's essential set); man pages, docs (but copyright files) and locales left out.
make_base() {
  local cache=${FLEETSTATS_CACHE:-$HOME/.cache/fleetstats}
  local tar=$cache/jre17-bookworm.tar
  local mirror=${FLEETSTATS_DEBIAN_MIRROR:-http://deb.debian.org}
  if $rebuild_base || [ ! -s "$tar" ]; then
    command -v mmdebstrap >/dev/null 2>&1 ||
      die "mmdebstrap is not installed (apt-get install -y mmdebstrap), or give --base IMAGE"
    mkdir -p "$cache"
    say "making the base root filesystem with mmdebstrap (30 s to a few minutes, once): $tar"
    # update-alternatives links the JRE's man pages: their folder must exist, even if empty
    mmdebstrap --quiet --variant=essential --include=openjdk-17-jre-headless \
      --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      bookworm "$cache/jre17-bookworm.partial.tar" \
      "deb $mirror/debian bookworm main" \
      "deb $mirror/debian bookworm-updates main" \
      "deb $mirror/debian-security bookworm-security main" ||
      die "mmdebstrap failed (is $mirror reachable? FLEETSTATS_DEBIAN_MIRROR sets another)"
    mv "$cache/jre17-bookworm.partial.tar" "$tar"
    rebuild_base=true
  else
    say "base root filesystem from the cache: $tar"
  fi
  if $rebuild_base || ! "$engine" image inspect localhost/jre17:latest >/dev/null 2>&1; then
    say "importing it as localhost/jre17"
    "$engine" import $([ "$engine" = podman ] && echo --quiet) --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tar" localhost/jre17:latest >/dev/null || die "$engine import failed"
  fi
  "$engine" run --rm localhost/jre17:latest java -version >/dev/null 2>&1 ||
    die "localhost/jre17 does not run java; is the container runtime set up? (see images/README.md: runc, containers.conf)"
}

if [ -z "$base" ]; then
  make_base
  base=localhost/jre17:latest
fi

for image in "${images[@]}"; do
  say "building fleetstats/$image:$version on $base"
  "$engine" build --quiet --build-arg "BASE_IMAGE=$base" \
    -t "fleetstats/$image:$version" -t "localhost/fleetstats/$image:$version" \
    -f "$root/images/$image/Dockerfile" "$stage/$image" >/dev/null ||
    die "$engine build of $image failed"
done

say "done; image sizes:"
for image in "${images[@]}"; do
  "$engine" image inspect --format '{{.Size}}' "localhost/fleetstats/$image:$version" |
    awk -v n="localhost/fleetstats/$image:$version" '{ printf "  %-48s %6.0f MB\n", n, $1 / 1e6 }' >&2
done
