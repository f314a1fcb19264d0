# Sourced by ./jtarget and scripts/*: finds a JDK 25 and exports JAVA_HOME.
# The machine's default java may be older (Debian's 17); Temurin 25 lives under /usr/lib/jvm.
jtarget_find_java_home() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$version" ] && [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "jtarget: JDK 25 or newer is required; install one (e.g. Temurin 25 under /usr/lib/jvm) or set JAVA_HOME" >&2
  return 1
}
