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
