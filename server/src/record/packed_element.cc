#include "record/packed_element.h"

#include <bit>
#include <cstring>
#include <vector>

#include "record/value.h"

namespace tern::record {

namespace {

// The ext type Aerospike reserves for comparison-only values: `d4 ff 00` wildcard,
// `d4 ff 01` infinity.
constexpr uint8_t kCmpExtType = 0xff;

uint64_t BigEndian(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

ElementType BytesType(std::string_view payload) {
  if (payload.empty()) return ElementType::kBytes;
  switch (static_cast<ParticleType>(static_cast<uint8_t>(payload[0]))) {
    case ParticleType::kString:
      return ElementType::kString;
    case ParticleType::kGeoJson:
      return ElementType::kGeoJson;
    default:
      return ElementType::kBytes;
  }
}

void AppendBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

bool ElementReader::ReadHead(ElementHead* h) {
  if (at_end()) return false;
  const size_t avail = in_.size() - off_ - 1;
  const uint8_t b = static_cast<uint8_t>(in_[off_]);
  const char* p = in_.data() + off_ + 1;
  size_t used = 0;  // bytes after the first one
  // Fixed-width argument bytes after the type byte.
  auto arg = [&](size_t n) -> std::optional<uint64_t> {
    if (avail < n) return std::nullopt;
    used = n;
    return BigEndian(std::string_view(p, n));
  };
  // A str/bin/ext payload whose length takes `width` bytes.
  auto sized = [&](size_t width, size_t extra) -> bool {
    std::optional<uint64_t> len = arg(width);
    if (!len || avail - width < *len + extra) return false;
    h->payload = std::string_view(p + width + extra, *len);
    used = width + extra + *len;
    return true;
  };
  *h = ElementHead{};
  if (b <= 0x7f) {
    h->type = ElementType::kInt;
    h->integer = b;
  } else if (b >= 0xe0) {
    h->type = ElementType::kInt;
    h->integer = static_cast<int8_t>(b);
  } else if ((b & 0xf0) == 0x80 || (b & 0xf0) == 0x90) {
    h->type = (b & 0xf0) == 0x80 ? ElementType::kMap : ElementType::kList;
    h->count = b & 0x0f;
  } else if ((b & 0xe0) == 0xa0) {
    const size_t len = b & 0x1f;
    if (avail < len) return false;
    h->payload = std::string_view(p, len);
    h->type = BytesType(h->payload);
    used = len;
  } else {
    switch (b) {
      case 0xc0:
        h->type = ElementType::kNil;
        break;
      case 0xc2:
        h->type = ElementType::kFalse;
        break;
      case 0xc3:
        h->type = ElementType::kTrue;
        break;
      case 0xc4:
      case 0xd9:
        if (!sized(1, 0)) return false;
        h->type = BytesType(h->payload);
        break;
      case 0xc5:
      case 0xda:
        if (!sized(2, 0)) return false;
        h->type = BytesType(h->payload);
        break;
      case 0xc6:
      case 0xdb:
        if (!sized(4, 0)) return false;
        h->type = BytesType(h->payload);
        break;
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const size_t width = b == 0xc7 ? 1 : (b == 0xc8 ? 2 : 4);
        if (!sized(width, 1)) return false;
        h->ext_type = static_cast<uint8_t>(p[width]);
        h->type = ElementType::kExt;
        break;
      }
      case 0xca: {
        std::optional<uint64_t> v = arg(4);
        if (!v) return false;
        h->type = ElementType::kDouble;
        h->dbl = std::bit_cast<float>(static_cast<uint32_t>(*v));
        break;
      }
      case 0xcb: {
        std::optional<uint64_t> v = arg(8);
        if (!v) return false;
        h->type = ElementType::kDouble;
        h->dbl = std::bit_cast<double>(*v);
        break;
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf: {
        std::optional<uint64_t> v = arg(size_t{1} << (b - 0xcc));
        if (!v) return false;
        h->type = ElementType::kInt;
        h->integer = static_cast<int64_t>(*v);
        break;
      }
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const size_t n = size_t{1} << (b - 0xd0);
        std::optional<uint64_t> v = arg(n);
        if (!v) return false;
        h->type = ElementType::kInt;
        // Sign-extend from n bytes.
        const int shift = static_cast<int>(64 - 8 * n);
        h->integer = static_cast<int64_t>(*v << shift) >> shift;
        break;
      }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8: {
        const size_t len = size_t{1} << (b - 0xd4);
        if (avail < 1 + len) return false;
        h->ext_type = static_cast<uint8_t>(p[0]);
        h->payload = std::string_view(p + 1, len);
        used = 1 + len;
        h->type = ElementType::kExt;
        if (h->ext_type == kCmpExtType && len == 1) {
          if (p[1] == 0) h->type = ElementType::kWildcard;
          if (p[1] == 1) h->type = ElementType::kInfinity;
        }
        break;
      }
      case 0xdc:
      case 0xde: {
        std::optional<uint64_t> v = arg(2);
        if (!v) return false;
        h->type = b == 0xdc ? ElementType::kList : ElementType::kMap;
        h->count = static_cast<uint32_t>(*v);
        break;
      }
      case 0xdd:
      case 0xdf: {
        std::optional<uint64_t> v = arg(4);
        if (!v) return false;
        h->type = b == 0xdd ? ElementType::kList : ElementType::kMap;
        h->count = static_cast<uint32_t>(*v);
        break;
      }
      default:  // 0xc1 is never valid
        return false;
    }
  }
  if (h->type == ElementType::kList || h->type == ElementType::kMap) {
    // Every nested element takes at least one byte: refuse counts the input cannot hold.
    const uint64_t min_bytes = uint64_t{h->count} * (h->type == ElementType::kMap ? 2 : 1);
    if (min_bytes > avail - used) return false;
  }
  off_ += 1 + used;
  return true;
}

std::optional<std::string_view> ElementReader::Next(int max_depth) {
  const size_t start = off_;
  // Elements still to read at each open nesting level.
  std::vector<uint64_t> pending{1};
  while (!pending.empty()) {
    if (pending.back() == 0) {
      pending.pop_back();
      continue;
    }
    --pending.back();
    ElementHead h;
    if (!ReadHead(&h)) {
      off_ = start;
      return std::nullopt;
    }
    if (h.type == ElementType::kList || h.type == ElementType::kMap) {
      if (static_cast<int>(pending.size()) > max_depth) {
        off_ = start;
        return std::nullopt;
      }
      pending.push_back(uint64_t{h.count} * (h.type == ElementType::kMap ? 2 : 1));
    }
  }
  return in_.substr(start, off_ - start);
}

std::optional<int64_t> ElementReader::NextInt() {
  const size_t start = off_;
  ElementHead h;
  if (!ReadHead(&h)) return std::nullopt;
  if (h.type != ElementType::kInt) {
    off_ = start;
    return std::nullopt;
  }
  return h.integer;
}

bool IsElement(std::string_view element, int max_depth) {
  ElementReader r(element);
  return r.Next(max_depth).has_value() && r.at_end();
}

bool IsStorable(std::string_view element) {
  if (!IsElement(element)) return false;
  ElementReader r(element);
  // Per open level: elements left, the index of the next one, and whether it is a map.
  struct Level {
    uint64_t left;
    uint64_t next;
    bool map;
  };
  std::vector<Level> levels{{1, 0, false}};
  bool top = true;
  while (!levels.empty()) {
    Level& l = levels.back();
    if (l.left == 0) {
      levels.pop_back();
      continue;
    }
    const uint64_t index = l.next++;
    --l.left;
    ElementHead h;
    if (!r.ReadHead(&h)) return false;
    // Metadata is the first element of a list, or the first key of a map.
    const bool meta_slot = !top && index == 0;
    if (h.type == ElementType::kWildcard || h.type == ElementType::kInfinity) return false;
    if (h.type == ElementType::kExt && !meta_slot) return false;
    top = false;
    if (h.type == ElementType::kList || h.type == ElementType::kMap) {
      const bool map = h.type == ElementType::kMap;
      levels.push_back({uint64_t{h.count} * (map ? 2 : 1), 0, map});
    }
  }
  return true;
}

ElementType TypeOf(std::string_view element) {
  ElementHead h;
  ElementReader r(element);
  return r.ReadHead(&h) ? h.type : ElementType::kNil;
}

std::optional<PackedContainer> SplitContainer(std::string_view packed) {
  ElementReader r(packed);
  ElementHead h;
  if (!r.ReadHead(&h) || (h.type != ElementType::kList && h.type != ElementType::kMap)) {
    return std::nullopt;
  }
  PackedContainer c;
  c.map = h.type == ElementType::kMap;
  const uint64_t n = uint64_t{h.count} * (c.map ? 2 : 1);
  c.elements.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::optional<std::string_view> e = r.Next();
    if (!e) return std::nullopt;
    c.elements.push_back(*e);
  }
  if (!r.at_end()) return std::nullopt;
  if (!c.elements.empty() && TypeOf(c.elements[0]) == ElementType::kExt) {
    ElementHead meta;
    ElementReader mr(c.elements[0]);
    mr.ReadHead(&meta);
    c.flags = meta.ext_type;
    c.elements.erase(c.elements.begin(), c.elements.begin() + (c.map ? 2 : 1));
  }
  return c;
}

std::string JoinContainer(bool map, uint8_t flags, const std::vector<std::string_view>& elements) {
  std::string out;
  const uint32_t n = static_cast<uint32_t>(map ? elements.size() / 2 : elements.size());
  const uint32_t meta = flags ? 1 : 0;
  map ? AppendMapHeader(n + meta, &out) : AppendArrayHeader(n + meta, &out);
  if (flags) {
    AppendOrderExt(flags, &out);
    if (map) out += PackNil();
  }
  for (std::string_view e : elements) out += e;
  return out;
}

std::string PackInt(int64_t v) {
  std::string out;
  if (v >= 0) {
    const uint64_t u = static_cast<uint64_t>(v);
    if (u <= 0x7f) {
      out.push_back(static_cast<char>(u));
    } else if (u <= 0xff) {
      out.push_back(static_cast<char>(0xcc));
      AppendBigEndian(u, 1, &out);
    } else if (u <= 0xffff) {
      out.push_back(static_cast<char>(0xcd));
      AppendBigEndian(u, 2, &out);
    } else if (u <= 0xffffffff) {
      out.push_back(static_cast<char>(0xce));
      AppendBigEndian(u, 4, &out);
    } else {
      out.push_back(static_cast<char>(0xcf));
      AppendBigEndian(u, 8, &out);
    }
  } else if (v >= -32) {
    out.push_back(static_cast<char>(v));
  } else if (v >= INT8_MIN) {
    out.push_back(static_cast<char>(0xd0));
    AppendBigEndian(static_cast<uint64_t>(v), 1, &out);
  } else if (v >= INT16_MIN) {
    out.push_back(static_cast<char>(0xd1));
    AppendBigEndian(static_cast<uint64_t>(v), 2, &out);
  } else if (v >= INT32_MIN) {
    out.push_back(static_cast<char>(0xd2));
    AppendBigEndian(static_cast<uint64_t>(v), 4, &out);
  } else {
    out.push_back(static_cast<char>(0xd3));
    AppendBigEndian(static_cast<uint64_t>(v), 8, &out);
  }
  return out;
}

std::string PackDouble(double v) {
  std::string out(1, static_cast<char>(0xcb));
  AppendBigEndian(std::bit_cast<uint64_t>(v), 8, &out);
  return out;
}

std::string PackBool(bool v) { return std::string(1, static_cast<char>(v ? 0xc3 : 0xc2)); }

std::string PackNil() { return std::string(1, static_cast<char>(0xc0)); }

void AppendArrayHeader(uint32_t n, std::string* out) {
  if (n < 16) {
    out->push_back(static_cast<char>(0x90 | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(0xdc));
    AppendBigEndian(n, 2, out);
  } else {
    out->push_back(static_cast<char>(0xdd));
    AppendBigEndian(n, 4, out);
  }
}

void AppendMapHeader(uint32_t n, std::string* out) {
  if (n < 16) {
    out->push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(0xde));
    AppendBigEndian(n, 2, out);
  } else {
    out->push_back(static_cast<char>(0xdf));
    AppendBigEndian(n, 4, out);
  }
}

void AppendOrderExt(uint8_t flags, std::string* out) {
  out->push_back(static_cast<char>(0xc7));
  out->push_back(0);
  out->push_back(static_cast<char>(flags));
}

}  // namespace tern::record
