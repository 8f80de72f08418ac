// Argument checks shared by the exported functions. The TypeScript wrappers validate first; these
// checks only keep a wrong call from reading or writing outside a buffer, and report it as -EINVAL.

#ifndef NATIVE_ARGS_H_
#define NATIVE_ARGS_H_

#include <napi.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace nestor {

// Reads an integer in [0, 2^32) into out; returns false for anything else.
inline bool ReadUint32(const Napi::Value& value, uint32_t* out) {
  if (!value.IsNumber()) return false;
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0 && number <= 4294967295.0)) return false;
  *out = static_cast<uint32_t>(number);
  return *out == number;
}

// Reads an integer in [-2^31, 2^31) into out; returns false for anything else.
inline bool ReadInt32(const Napi::Value& value, int32_t* out) {
  if (!value.IsNumber()) return false;
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= -2147483648.0 && number <= 2147483647.0)) return false;
  *out = static_cast<int32_t>(number);
  return *out == number;
}

// A typed array view whose element type was checked; ok is false when value is not such an array.
template <typename T, napi_typedarray_type kType>
struct ArrayView {
  bool ok = false;
  T* data = nullptr;
  size_t length = 0;
};

template <typename T, napi_typedarray_type kType>
inline ArrayView<T, kType> ReadArray(const Napi::Value& value) {
  ArrayView<T, kType> view;
  if (!value.IsTypedArray()) return view;
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.TypedArrayType() != kType) return view;
  Napi::TypedArrayOf<T> typed = value.As<Napi::TypedArrayOf<T>>();
  view.ok = true;
  view.data = typed.Data();
  view.length = typed.ElementLength();
  return view;
}

inline ArrayView<uint8_t, napi_uint8_array> ReadBytes(const Napi::Value& value) {
  return ReadArray<uint8_t, napi_uint8_array>(value);
}

inline ArrayView<uint32_t, napi_uint32_array> ReadWords(const Napi::Value& value) {
  return ReadArray<uint32_t, napi_uint32_array>(value);
}

inline Napi::Value Result(const Napi::Env& env, double value) {
  return Napi::Number::New(env, value);
}

inline Napi::Value InvalidArgument(const Napi::Env& env) {
  return Napi::Number::New(env, -EINVAL);
}

}  // namespace nestor

#endif  // NATIVE_ARGS_H_
