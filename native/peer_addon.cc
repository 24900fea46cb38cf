// N-API glue for who is on the other end of a unix socket (SO_PEERCRED), and for pidfds: a handle on one process
// that a recycled pid cannot redirect (Node has no API for either).
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "addon.h"

// The generic syscall numbers (the same on every Linux architecture since 5.1/5.3/5.6), for older headers.
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace nixbtm {
namespace {

bool IntArgs(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() != n) return false;
  for (size_t i = 0; i < n; i++)
    if (!info[i].IsNumber()) return false;
  return true;
}

Napi::Value Errno(Napi::Env env, const std::string& what) {
  const int code = errno != 0 ? errno : EINVAL;
  return ThrowError(env, what + ": " + std::strerror(code), code);
}

Napi::Object CredObject(Napi::Env env, const struct ucred& cred) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, cred.pid));
  result.Set("uid", Napi::Number::New(env, cred.uid));
  result.Set("gid", Napi::Number::New(env, cred.gid));
  return result;
}

// peerCred(fd) -> { pid, uid, gid } of the peer process when it connected; throws (with code) on failure.
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IntArgs(info, 1)) {
    Napi::TypeError::New(env, "peerCred(fd): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct ucred cred = {};
  socklen_t length = sizeof cred;
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof cred) {
    return Errno(env, "cannot read SO_PEERCRED of fd " + std::to_string(fd));
  }
  return CredObject(env, cred);
}

// pidfdOpen(pid) -> fd referring to that very process (close it with fs.closeSync).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IntArgs(info, 1)) {
    Napi::TypeError::New(env, "pidfdOpen(pid): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int pid = info[0].As<Napi::Number>().Int32Value();
  const long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Errno(env, "pidfd_open(" + std::to_string(pid) + ")");
  return Napi::Number::New(env, static_cast<double>(fd));
}

// pidfdSendSignal(pidfd, signo): signal 0 only checks that the process still exists.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IntArgs(info, 2)) {
    Napi::TypeError::New(env, "pidfdSendSignal(pidfd, signo): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) != 0) return Errno(env, "pidfd_send_signal");
  return env.Undefined();
}

// socketPeer(pidfd, fd) -> { pid, uid, gid, listening, path } for socket `fd` of the process behind `pidfd`:
// the kernel's SO_PEERCRED of another process's connection (needs ptrace rights over it: root).
// `path` is the socket's own bound name ("" when unnamed); a connection accepted on a listening socket has one.
Napi::Value SocketPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IntArgs(info, 2)) {
    Napi::TypeError::New(env, "socketPeer(pidfd, fd): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int pidfd = info[0].As<Napi::Number>().Int32Value();
  const int target = info[1].As<Napi::Number>().Int32Value();
  const long fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
  if (fd < 0) return Errno(env, "pidfd_getfd(" + std::to_string(target) + ")");
  struct ucred cred = {};
  socklen_t length = sizeof cred;
  int listening = 0;
  socklen_t listening_length = sizeof listening;
  struct sockaddr_un addr = {};
  socklen_t addr_length = sizeof addr;
  const int sfd = static_cast<int>(fd);
  const bool ok = getsockopt(sfd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 && length == sizeof cred &&
                  getsockopt(sfd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_length) == 0 &&
                  getsockname(sfd, reinterpret_cast<struct sockaddr*>(&addr), &addr_length) == 0;
  const int saved = errno;
  close(sfd);
  if (!ok) {
    errno = saved;
    return Errno(env, "cannot read the credentials of socket " + std::to_string(target));
  }
  Napi::Object result = CredObject(env, cred);
  result.Set("listening", Napi::Boolean::New(env, listening != 0));
  const size_t offset = offsetof(struct sockaddr_un, sun_path);
  std::string path;
  if (addr.sun_family == AF_UNIX && addr_length > offset && addr.sun_path[0] != '\0') {
    path.assign(addr.sun_path, strnlen(addr.sun_path, std::min<size_t>(addr_length - offset, sizeof addr.sun_path)));
  }
  result.Set("path", Napi::String::New(env, path));
  return result;
}

}  // namespace

void InitPeer(Napi::Env env, Napi::Object exports) {
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("socketPeer", Napi::Function::New(env, SocketPeer));
}

}  // namespace nixbtm
