#!/bin/sh
# Host key and the deploy key's public half are mounted at /keys; a bare repo with one
# commit on main is created at /srv/app.git, owned by the git user; sshd runs in front.
set -eu
install -m 0600 /keys/host_ed25519 /etc/ssh/ssh_host_ed25519_key
install -d -m 0755 /etc/ssh/authorized
install -m 0644 /keys/deploy_key.pub /etc/ssh/authorized/git
if [ ! -d /srv/app.git ]; then
  git init -q --bare -b main /srv/app.git
  tmp=$(mktemp -d)
  git -C "$tmp" init -q -b main
  echo hello > "$tmp/README.md"
  git -C "$tmp" add README.md
  git -C "$tmp" -c user.name=forge -c user.email=forge@test.invalid commit -q -m initial
  git -C "$tmp" push -q /srv/app.git main
  chown -R git:git /srv/app.git
fi
exec /usr/sbin/sshd -D -e \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key \
  -o AuthorizedKeysFile=/etc/ssh/authorized/%u \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
  -o PermitRootLogin=no -o AllowUsers=git -o AllowTcpForwarding=no -o X11Forwarding=no
