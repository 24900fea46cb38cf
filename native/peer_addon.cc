// N-API glue for SO_PEERCRED: who is on the other end of a connected unix socket (Node has no API for it).
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstring>

#include "addon.h"

namespace nixbtm {
namespace {

// peerCred(fd) -> { pid, uid, gid } of the peer process when it connected; throws (with code) on failure.
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerCred(fd): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct ucred cred = {};
  socklen_t length = sizeof cred;
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof cred) {
    const int code = errno != 0 ? errno : EINVAL;
    return ThrowError(env, "cannot read SO_PEERCRED of fd " + std::to_string(fd) + ": " + std::strerror(code), code);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, cred.pid));
  result.Set("uid", Napi::Number::New(env, cred.uid));
  result.Set("gid", Napi::Number::New(env, cred.gid));
  return result;
}

}  // namespace

void InitPeer(Napi::Env env, Napi::Object exports) { exports.Set("peerCred", Napi::Function::New(env, PeerCred)); }

}  // namespace nixbtm
