// The sshd, users and ports of the many-machines tests live beside the benchmark that needs them too.
export * from '../../bench/ssh-server.js';
