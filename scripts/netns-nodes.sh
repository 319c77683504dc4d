# Sourced by scripts/bench-onboard and scripts/try-onboard-tui: N OpenSSH
# sshd nodes, each in its own network namespace (10.231.I.2, reached over a
# veth pair) and its own mount namespace, where the install prefix
# ($work/prefix) is a bind mount of the node's own directory
# ($work/nodeI/opt). Loopback addresses alone would not do: every node's
# exporter listens on :9100 as the config says, and on one network stack
# the second would find the port taken. Needs root (ip netns, mount).
#
# The caller sets $work (a temp dir), $tag (a short unique prefix for
# namespace and link names) and calls: start_nodes N; and on exit:
# stop_nodes. Writes $work/hosts.txt (`nI 10.231.I.2`), $work/user_key and
# $work/home/.ssh/config (root, that key, for 10.231.*).

sshd_pids=()
made_ns=()

stop_nodes() {
  # Exporters still running (uninstall failed or was not reached): by PID.
  for f in "$work"/node*/opt/node_exporter/run.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for p in "${sshd_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${sshd_pids[@]}"; do wait "$p" 2>/dev/null; done
  for i in "${made_ns[@]}"; do
    ip link del "${tag}h$i" 2>/dev/null
    ip netns del "${tag}n$i" 2>/dev/null
  done
}

start_nodes() {
  local n=$1 i ns d up
  mkdir -p /run/sshd "$work/home/.ssh" "$work/prefix"
  ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
  cp "$work/user_key.pub" "$work/authorized_keys"
  chmod 644 "$work/authorized_keys"
  cat > "$work/home/.ssh/config" <<CFG
Host 10.231.*
  User root
  IdentityFile $work/user_key
  IdentitiesOnly yes
CFG
  echo "starting $n sshd nodes in network namespaces…" >&2
  : > "$work/hosts.txt"
  for i in $(seq 1 "$n"); do
    ns="${tag}n$i"
    d="$work/node$i"
    mkdir -p "$d/opt"
    ip netns add "$ns"
    made_ns+=("$i")
    ip link add "${tag}h$i" type veth peer name "${tag}p$i"
    ip link set "${tag}p$i" netns "$ns"
    ip addr add "10.231.$i.1/24" dev "${tag}h$i"
    ip link set "${tag}h$i" up
    ip -n "$ns" addr add "10.231.$i.2/24" dev "${tag}p$i"
    ip -n "$ns" link set "${tag}p$i" up
    ip -n "$ns" link set lo up
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
    cat > "$d/sshd_config" <<CFG
Port 22
ListenAddress 10.231.$i.2
HostKey $d/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $d/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
CFG
    # ip netns exec gives the node its own mount namespace too: the install
    # prefix there is the node's own directory.
    ip netns exec "$ns" sh -c "mount --bind '$d/opt' '$work/prefix' && exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" \
      2> "$d/sshd.log" &
    sshd_pids+=("$!")
    echo "n$i 10.231.$i.2" >> "$work/hosts.txt"
  done
  # Every sshd answers before the clock starts.
  for i in $(seq 1 "$n"); do
    up=0
    for _ in $(seq 1 200); do
      if timeout 1 bash -c "exec 3<>/dev/tcp/10.231.$i.2/22" 2>/dev/null; then up=1; break; fi
      sleep 0.05
    done
    [ "$up" = 1 ] || { echo "node $i's sshd did not start:"; cat "$work/node$i/sshd.log"; return 1; } >&2
  done
}
