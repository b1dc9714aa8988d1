#include "args.h"

#include <cmath>
#include <limits>

namespace tensorfold {
namespace addon {

void throw_type(const Napi::Env& env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
void throw_range(const Napi::Env& env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

Napi::Object object_arg(const Napi::CallbackInfo& info, size_t index, const std::string& where) {
  if (info.Length() <= index || !info[index].IsObject() || info[index].IsArray())
    throw_type(info.Env(), where + ": expected an arguments object");
  return info[index].As<Napi::Object>();
}

F32Span f32_prop(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, where + ": " + key + " must be a Float32Array");
  Napi::Float32Array arr = v.As<Napi::Float32Array>();
  Napi::ArrayBuffer buf = arr.ArrayBuffer();
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, buf, &detached) != napi_ok || detached)
    throw_type(env, where + ": " + key + " is backed by a detached ArrayBuffer");
  F32Span s;
  s.data = arr.Data();
  s.length = static_cast<int64_t>(arr.ElementLength());
  return s;
}

static int64_t to_int(const Napi::Env& env, const Napi::Value& v, const std::string& name, int64_t min,
                      int64_t max) {
  if (!v.IsNumber()) throw_type(env, name + " must be an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
      d > static_cast<double>(max))
    throw_range(env, name + " must be an integer in [" + std::to_string(min) + ", " +
                         std::to_string(max) + "], got " + Napi::Number::New(env, d).ToString().Utf8Value());
  return static_cast<int64_t>(d);
}

int64_t int_value(const Napi::Env& env, const Napi::Value& v, const std::string& name, int64_t min, int64_t max) {
  return to_int(env, v, name, min, max);
}

std::vector<int64_t> int_array_prop(const Napi::Object& o, const char* key, const std::string& where,
                                    size_t max_len, int64_t max) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) throw_type(env, where + ": " + key + " must be an array of integers");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > max_len)
    throw_range(env, where + ": " + key + " has " + std::to_string(arr.Length()) + " entries; at most " +
                         std::to_string(max_len) + " are supported");
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i)
    out[i] = to_int(env, arr.Get(i), where + ": " + key + "[" + std::to_string(i) + "]", 0, max);
  return out;
}

int64_t int_prop(const Napi::Object& o, const char* key, const std::string& where, int64_t min,
                 int64_t max) {
  return to_int(o.Env(), o.Get(key), where + ": " + key, min, max);
}

int64_t int_prop(const Napi::Object& o, const char* key, const std::string& where, int64_t min,
                 int64_t max, int64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  return to_int(o.Env(), v, where + ": " + key, min, max);
}

double number_prop(const Napi::Object& o, const char* key, const std::string& where, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), where + ": " + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_range(o.Env(), where + ": " + key + " must be finite");
  return d;
}

bool bool_prop(const Napi::Object& o, const char* key, const std::string& where, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw_type(o.Env(), where + ": " + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string_prop(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw_type(o.Env(), where + ": " + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

void check_extent(const Napi::Env& env, const F32Span& span, int64_t offset, int64_t extent,
                  const std::string& what) {
  // offset and extent are each below 2^53 (checked as integers), so the sum
  // cannot overflow int64.
  if (offset < 0 || extent < 0 || offset + extent >= span.length)
    throw_range(env, what + " needs elements up to index " + std::to_string(offset + extent) +
                         " but its array has " + std::to_string(span.length));
}

void check_disjoint(const Napi::Env& env, const float* out, int64_t out_len, const float* in,
                    int64_t in_len, const std::string& what) {
  if (out_len == 0 || in_len == 0) return;
  auto o0 = reinterpret_cast<uintptr_t>(out), o1 = reinterpret_cast<uintptr_t>(out + out_len);
  auto i0 = reinterpret_cast<uintptr_t>(in), i1 = reinterpret_cast<uintptr_t>(in + in_len);
  if (o0 < i1 && i0 < o1) throw_range(env, what);
}

}  // namespace addon
}  // namespace tensorfold
