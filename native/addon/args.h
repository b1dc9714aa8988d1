// Reading and checking arguments at the native boundary. The TypeScript layer
// checks everything first; these checks exist so that a direct call into the
// addon with bad values throws a JS error instead of reading out of bounds.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tensorfold {
namespace addon {

struct F32Span {
  float* data = nullptr;
  int64_t length = 0;
};

// Reads the options object passed as argument `index`.
Napi::Object object_arg(const Napi::CallbackInfo& info, size_t index, const std::string& where);

// An integer in [min, max]; `name` says which value in the error.
int64_t int_value(const Napi::Env& env, const Napi::Value& v, const std::string& name, int64_t min, int64_t max);

// Property readers; a missing property takes the default where one is given.
F32Span f32_prop(const Napi::Object& o, const char* key, const std::string& where);
int64_t int_prop(const Napi::Object& o, const char* key, const std::string& where, int64_t min,
                 int64_t max);
int64_t int_prop(const Napi::Object& o, const char* key, const std::string& where, int64_t min,
                 int64_t max, int64_t fallback);
double number_prop(const Napi::Object& o, const char* key, const std::string& where,
                   double fallback);
bool bool_prop(const Napi::Object& o, const char* key, const std::string& where, bool fallback);
std::string string_prop(const Napi::Object& o, const char* key, const std::string& where);
// An array of at most max_len integers, each in [0, max].
std::vector<int64_t> int_array_prop(const Napi::Object& o, const char* key, const std::string& where,
                                    size_t max_len, int64_t max);

// The element range [first, last] a strided operand touches must lie inside
// the array. `extent` is the largest offset from the base (0 for one element).
void check_extent(const Napi::Env& env, const F32Span& span, int64_t offset, int64_t extent,
                  const std::string& what);

// Output memory must not alias an input: the kernels would read what they wrote.
void check_disjoint(const Napi::Env& env, const float* out, int64_t out_len, const float* in,
                    int64_t in_len, const std::string& what);

[[noreturn]] void throw_type(const Napi::Env& env, const std::string& msg);
[[noreturn]] void throw_range(const Napi::Env& env, const std::string& msg);

}  // namespace addon
}  // namespace tensorfold
