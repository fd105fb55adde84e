/**
 * The three small programs of the exec chain. They are constants: every
 * value from a configuration (paths, hostnames, the command) reaches them as
 * a positional parameter in the argv, never as text spliced into a script,
 * so no name can inject anything.
 */

/**
 * First link: wait until vsc has moved this very process into the context's
 * cgroup, then exec the rest of the chain. vsc writes the pid to
 * cgroup.procs (the kernel migrates the process before write(2) returns),
 * reads it back, and only then writes "go" on fd 3. If vsc fails or dies,
 * `read` sees something else or end-of-file and the chain stops with 125:
 * nothing after this line ever runs outside the cgroup.
 */
export const JOIN_SCRIPT = 'IFS= read -r go <&3 && [ "$go" = go ] || exit 125; exec "$@" 3<&-';

/**
 * Runs inside the new UTS namespace: sets its hostname ($1) through the
 * kernel interface (per UTS namespace, so the host's name is untouched), then
 * execs the rest ($2...).
 */
export const HOSTNAME_SCRIPT =
  'printf "%s" "$1" > /proc/sys/kernel/hostname || exit 125; shift; exec "$@"';

/**
 * PID 1 of a new PID namespace. The kernel drops signals to a namespace's
 * init that it has no handler for, so a plain command as PID 1 could not be
 * stopped with SIGTERM or Ctrl-C; this init forwards them to the command
 * instead, reaps orphans, and exits with the command's status (128+N when
 * signal N killed it). INT and QUIT from a terminal already reach the whole
 * foreground process group, the command included, so with a terminal on
 * stdin they are swallowed here rather than delivered twice.
 * Arguments: ROOT ("" for none) then the command. With ROOT the init
 * confines itself there once the command is started, so that /proc/1/root
 * inside the namespace does not lead back to the host's tree.
 * perl, because it is Essential in Debian (always installed), small, and can
 * fork, forward signals and reap; a POSIX shell cannot (a background job in
 * a non-interactive shell has SIGINT ignored and stdin from /dev/null).
 */
export const INIT_SCRIPT = [
  "use strict; use POSIX (); $0 = 'vsc-init';",
  "my $root = shift @ARGV; my $pid = 0;",
  "my @fwd = qw(HUP TERM USR1 USR2 ALRM);",
  "if (-t STDIN) { $SIG{$_} = sub {} for qw(INT QUIT) } else { push @fwd, qw(INT QUIT) }",
  "$SIG{$_} = sub { kill $_[0], $pid if $pid > 0 } for @fwd;",
  '$pid = fork; defined $pid or die "vsc-init: fork: $!\\n";',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; warn "vsc-init: $ARGV[0]: $!\\n"; POSIX::_exit(127) }',
  "if ($root ne '') { chroot $root and chdir '/' or die \"vsc-init: chroot: $!\\n\" }",
  "for (;;) { my $w = waitpid -1, 0; POSIX::_exit(125) if $w < 0; next if $w != $pid;",
  "  my $s = $?; POSIX::_exit($s & 127 ? 128 + ($s & 127) : $s >> 8) }",
].join("\n");

/**
 * The filesystem link (#16), inside the new mount namespace (private
 * propagation), before identity and capabilities. Arguments: MOUNT MKNOD
 * BASE RO TMP DEV, the writable paths, `--`, then the rest of the chain.
 * BASE is "/" or the context's root; RO/TMP/DEV are "ro"/"tmp"/"dev" or "-".
 * In this order: with a root, the root becomes a mount of its own (rbind);
 * every mount at or below BASE is remounted read-only except the API file
 * systems /proc, /sys and /dev (as systemd's ProtectSystem=strict); each
 * writable path is bind-mounted onto itself and made writable; /tmp and
 * /var/tmp get fresh tmpfs; /dev becomes a tmpfs holding only null, zero,
 * full, random, urandom and tty (mknod) and the fd/stdin/stdout/stderr
 * links, then read-only. Any failure stops the chain with 125 before the
 * command exists. perl: Essential, and it reads mountinfo's octal escapes
 * and runs each tool with an argv (never a shell).
 */
export const MOUNT_SCRIPT = [
  "use strict; $0 = 'vsc-mount';",
  "my ($mount, $mknod, $base, $ro, $tmp, $dev) = splice @ARGV, 0, 6; my @w;",
  "while (@ARGV && $ARGV[0] ne '--') { push @w, shift @ARGV } shift @ARGV;",
  "my $b = $base eq '/' ? '' : $base;",
  'sub fail { print STDERR "vsc-mount: $_[0]\\n"; exit 125 }',
  "sub run { system({ $_[0] } @_) == 0 or fail(join ' ', @_) }",
  "run($mount, '--rbind', $base, $base) if $b ne '';",
  "if ($ro eq 'ro') {",
  "  open my $mi, '<', '/proc/self/mountinfo' or fail(\"mountinfo: $!\"); my @mp;",
  "  while (<$mi>) { my $p = (split / /)[4]; $p =~ s/\\\\([0-7]{3})/chr oct $1/ge; push @mp, $p }",
  "  my %seen; for my $p (grep { !$seen{$_}++ } @mp) {",
  "    next unless $b eq '' || $p eq $b || index($p, \"$b/\") == 0;",
  "    my $rel = substr($p, length $b); next if $rel =~ m{^/(proc|sys|dev)(/|$)};",
  "    run($mount, '-o', 'remount,bind,ro', $p) }",
  "  for my $w (@w) { run($mount, '--rbind', \"$b$w\", \"$b$w\"); run($mount, '-o', 'remount,bind,rw', \"$b$w\") }",
  "}",
  'if ($tmp eq \'tmp\') { for my $t ("$b/tmp", "$b/var/tmp") {',
  '  next if $t ne "$b/tmp" && !-d $t;',
  "  run($mount, '-t', 'tmpfs', '-o', 'mode=1777,nosuid,nodev', 'tmpfs', $t) } }",
  "if ($dev eq 'dev') { my $d = \"$b/dev\";",
  "  run($mount, '-t', 'tmpfs', '-o', 'mode=755,nosuid,noexec', 'tmpfs', $d);",
  "  my %n = (null => [1, 3], zero => [1, 5], full => [1, 7], random => [1, 8], urandom => [1, 9], tty => [5, 0]);",
  "  run($mknod, '-m', '666', \"$d/$_\", 'c', @{ $n{$_} }) for sort keys %n;",
  '  symlink(\'/proc/self/fd\', "$d/fd") or fail("$d/fd: $!");',
  '  my $i = 0; for (qw(stdin stdout stderr)) { symlink("/proc/self/fd/" . $i++, "$d/$_") or fail("$d/$_: $!") }',
  "  run($mount, '-o', 'remount,bind,ro,nosuid,noexec', $d) }",
  'exec { $ARGV[0] } @ARGV; print STDERR "vsc-mount: $ARGV[0]: $!\\n"; exit 127;',
].join("\n");
