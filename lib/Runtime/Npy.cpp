//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "fqt/Runtime/Npy.h"
#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Error.h"

#include <cstring>

namespace fqt::runtime {

static const char magic[] = "\x93NUMPY";

/// The value of KEY in the header's Python dict literal, as raw text up to
/// the next top-level comma (a tuple counts as one value).
static std::string dictValue(const std::string &header, const char *key,
                             const std::string &source) {
  std::string quoted[] = {std::string("'") + key + "'",
                          std::string("\"") + key + "\""};
  size_t pos = std::string::npos;
  for (const std::string &q : quoted)
    if ((pos = header.find(q)) != std::string::npos) {
      pos += q.size();
      break;
    }
  if (pos == std::string::npos)
    throw Error(source,
                std::string("malformed .npy header (no '") + key + "')");
  pos = header.find(':', pos);
  if (pos == std::string::npos)
    throw Error(source, "malformed .npy header");
  ++pos;
  while (pos < header.size() && header[pos] == ' ')
    ++pos;
  size_t end = pos;
  int depth = 0;
  while (end < header.size()) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
    ++end;
  }
  if (depth != 0 || end == header.size())
    throw Error(source, "malformed .npy header");
  std::string value = header.substr(pos, end - pos);
  while (!value.empty() && value.back() == ' ')
    value.pop_back();
  return value;
}

static Shape parseShapeTuple(const std::string &text,
                             const std::string &source) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    throw Error(source, "malformed .npy shape '" + text + "'");
  Shape shape;
  std::string inner = text.substr(1, text.size() - 2);
  size_t pos = 0;
  while (pos < inner.size()) {
    size_t comma = inner.find(',', pos);
    std::string item = inner.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? inner.size() : comma + 1;
    size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos)
      continue; // the empty item after a trailing comma: (3,)
    size_t last = item.find_last_not_of(" L");
    item = item.substr(first, last - first + 1);
    if (item.empty() || item.size() > 15 ||
        item.find_first_not_of("0123456789") != std::string::npos)
      throw Error(source, "malformed .npy shape '" + text + "'");
    shape.push_back(std::stoll(item));
  }
  return shape;
}

Tensor decodeNpy(std::string_view bytes, const std::string &source) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view(magic, 6))
    throw Error(source, "not a .npy file (bad magic string)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  const unsigned char *p =
      reinterpret_cast<const unsigned char *>(bytes.data());
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = p[8] | (size_t(p[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      throw Error(source, "truncated .npy header");
    headerLen = p[8] | (size_t(p[9]) << 8) | (size_t(p[10]) << 16) |
                (size_t(p[11]) << 24);
    headerStart = 12;
  } else {
    throw Error(source,
                "unsupported .npy format version " + std::to_string(major));
  }
  if (bytes.size() < headerStart + headerLen)
    throw Error(source, "truncated .npy header");
  std::string header(bytes.substr(headerStart, headerLen));

  std::string descr = dictValue(header, "descr", source);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"') ||
      descr.back() != descr.front())
    throw Error(source, "unsupported .npy dtype " + descr +
                            " (this reader takes f4, f8, i8, i4 and u1)");
  descr = descr.substr(1, descr.size() - 2);
  std::string fortran = dictValue(header, "fortran_order", source);
  if (fortran == "True")
    throw Error(source, "Fortran-order arrays are not supported; save a "
                        "C-order array (numpy.ascontiguousarray)");
  if (fortran != "False")
    throw Error(source,
                "malformed .npy header (fortran_order " + fortran + ")");
  Shape shape = parseShapeTuple(dictValue(header, "shape", source), source);

  // '<' little-endian, '|' not applicable (bytes), '=' native (little on
  // every host this runs on).
  DType type;
  std::string kind = descr.size() == 3 ? descr.substr(1) : "";
  char order = descr.empty() ? 0 : descr[0];
  bool littleOrAny = order == '<' || order == '|' || order == '=';
  if (littleOrAny && kind == "f4")
    type = DType::F32;
  else if (littleOrAny && kind == "f8")
    type = DType::F64;
  else if (littleOrAny && kind == "i8")
    type = DType::I64;
  else if (littleOrAny && kind == "i4")
    type = DType::I32;
  else if (littleOrAny && kind == "u1")
    type = DType::U8;
  else
    throw Error(source, "unsupported .npy dtype '" + descr +
                            "' (this reader takes little-endian f4, f8, i8, "
                            "i4 and u1)");

  for (int64_t dim : shape)
    if (dim > (int64_t(1) << 40))
      throw Error(source, "implausible .npy shape");
  size_t dataStart = headerStart + headerLen;
  size_t available = bytes.size() - dataStart;
  long double want = static_cast<long double>(dtypeSize(type));
  for (int64_t dim : shape)
    want *= dim;
  if (want != static_cast<long double>(available))
    throw Error(source,
                "has " + std::to_string(available) +
                    " bytes of data, its header (shape " + shapeString(shape) +
                    ", dtype " + descr + ") needs " +
                    std::to_string(static_cast<unsigned long long>(want)));

  Tensor tensor(type, shape);
  std::memcpy(tensor.data(), bytes.data() + dataStart, tensor.getByteSize());
  if (type != DType::F64)
    return tensor;
  Tensor narrowed(DType::F32, shape);
  const double *src = tensor.as<double>();
  float *dst = narrowed.as<float>();
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i)
    dst[i] = static_cast<float>(src[i]);
  return narrowed;
}

Tensor readNpy(const std::string &path) {
  return decodeNpy(readFile(path), path);
}

static const char *npyDescr(DType type) {
  switch (type) {
  case DType::F16:
    return "<f2";
  case DType::F32:
  case DType::BF16:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I1:
    return "|b1";
  case DType::I8:
    return "|i1";
  case DType::I16:
    return "<i2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  }
  return "?";
}

std::string encodeNpy(const Tensor &tensor) {
  if (tensor.getDType() == DType::BF16) {
    Tensor widened(DType::F32, tensor.getShape());
    for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i)
      widened.setFromDouble(i, tensor.getAsDouble(i));
    return encodeNpy(widened);
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.getShape().size(); ++i)
    shape += std::to_string(tensor.getShape()[i]) + ", ";
  if (tensor.getShape().size() == 1)
    shape.pop_back(); // "(3,)"
  else if (!tensor.getShape().empty())
    shape.resize(shape.size() - 2);
  shape += ")";
  std::string header = std::string("{'descr': '") +
                       npyDescr(tensor.getDType()) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads the header with spaces and a newline so that the data starts
  // on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes(magic, 6);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(static_cast<const char *>(tensor.data()), tensor.getByteSize());
  return bytes;
}

void writeNpy(const std::string &path, const Tensor &tensor) {
  writeFileAtomically(path, encodeNpy(tensor));
}

} // namespace fqt::runtime
