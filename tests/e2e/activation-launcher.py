# A stand-in for systemd's socket activation (sd_listen_fds(3)): binds and listens on the log socket, keeps it
# open across daemon restarts as systemd does, and runs the daemon with the socket as fd 3 and LISTEN_PID,
# LISTEN_FDS, LISTEN_FDNAMES set for it.   python3 activation-launcher.py SOCKET RUNS -- COMMAND...
import os, socket, sys, time

path, runs = sys.argv[1], int(sys.argv[2])
command = sys.argv[sys.argv.index('--') + 1:]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
os.chmod(path, 0o666)
listener.listen(128)
print('listening', flush=True)
for run in range(runs):
    pid = os.fork()
    if pid == 0:
        os.dup2(listener.fileno(), 3)
        os.set_inheritable(3, True)
        env = dict(os.environ, LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES='nix-log')
        os.execvpe(command[0], command, env)
    print('started', pid, flush=True)
    os.waitpid(pid, 0)
    print('exited', pid, flush=True)
    time.sleep(1)
