#include "model/npy.hpp"

#include <cctype>
#include <cstring>
#include <limits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace sparsecim {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kMaxHeader = 1 << 16;  // numpy's own headers are a few hundred bytes

// The header's Python dict literal, parsed strictly: {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } with the three keys once each, in any order.
class HeaderParser {
  public:
    HeaderParser(const std::string& text, const std::string& src) : s_(text), src_(src) {}

    void parse(NpyArray& a, bool& fortran) {
        bool seen_descr = false, seen_order = false, seen_shape = false;
        space();
        expect('{');
        for (;;) {
            space();
            if (peek() == '}') break;
            const std::string key = quoted("a key");
            space();
            expect(':');
            space();
            if (key == "descr") {
                once(seen_descr, key);
                a.descr = quoted("the dtype of 'descr'");
            } else if (key == "fortran_order") {
                once(seen_order, key);
                fortran = boolean();
            } else if (key == "shape") {
                once(seen_shape, key);
                a.shape = tuple();
            } else {
                fail("unknown header key '" + key + "' (expected descr, fortran_order, shape)");
            }
            space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            space();
            if (peek() != '}') fail("expected ',' or '}' after '" + key + "'");
        }
        ++i_;
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n')) ++i_;
        if (i_ != s_.size()) fail("unexpected text after the header's closing '}'");
        if (!seen_descr || !seen_order || !seen_shape)
            fail(std::string("header lacks '") +
                 (!seen_descr   ? "descr"
                  : !seen_order ? "fortran_order"
                                : "shape") +
                 "'");
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(src_ + ": malformed .npy header: " + what);
    }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void space() {
        while (i_ < s_.size() && s_[i_] == ' ') ++i_;
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++i_;
    }
    void once(bool& seen, const std::string& key) {
        if (seen) fail("key '" + key + "' given twice");
        seen = true;
    }
    std::string quoted(const char* what) {
        const char q = peek();
        if (q != '\'' && q != '"') fail(std::string("expected ") + what + " in quotes");
        const size_t end = s_.find(q, i_ + 1);
        if (end == std::string::npos) fail(std::string("unterminated ") + what);
        std::string out = s_.substr(i_ + 1, end - i_ - 1);
        i_ = end + 1;
        return out;
    }
    bool boolean() {
        if (s_.compare(i_, 4, "True") == 0) {
            i_ += 4;
            return true;
        }
        if (s_.compare(i_, 5, "False") == 0) {
            i_ += 5;
            return false;
        }
        fail("fortran_order must be True or False");
    }
    std::vector<int64_t> tuple() {
        std::vector<int64_t> dims;
        expect('(');
        for (;;) {
            space();
            if (peek() == ')') break;
            if (!std::isdigit(static_cast<unsigned char>(peek())))
                fail("shape must be a tuple of non-negative integers");
            int64_t v = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                if (v > (std::numeric_limits<int64_t>::max() - 9) / 10)
                    fail("a shape dimension is too large");
                v = v * 10 + (s_[i_++] - '0');
            }
            dims.push_back(v);
            if (dims.size() > 32) fail("shape has more than 32 dimensions");
            space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            space();
            if (peek() != ')') fail("expected ',' or ')' in shape");
        }
        ++i_;
        return dims;
    }

    const std::string& s_;
    const std::string& src_;
    size_t i_ = 0;
};

uint32_t little_endian(const std::string& b, size_t at, size_t n) {
    uint32_t v = 0;
    for (size_t k = 0; k < n; ++k)
        v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + k])) << (8 * k);
    return v;
}

// A shape as numpy writes it: "(3,)", "(2, 3)", "()".
std::string shape_text(const std::vector<int64_t>& shape) {
    std::string out = "(";
    for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + (shape.size() == 1 ? ",)" : ")");
}

template <typename T>
T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

int64_t NpyArray::size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

NpyArray parse_npy(const std::string& bytes, const std::string& src) {
    if (bytes.size() < kMagicLen + 2 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
        throw Error(src + ": not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<uint8_t>(bytes[kMagicLen]);
    if (major < 1 || major > 3)
        throw Error(src + ": .npy format version " + std::to_string(major) +
                    " is not supported (1, 2 or 3)");
    const size_t len_bytes = major == 1 ? 2 : 4;
    const size_t head_at = kMagicLen + 2 + len_bytes;
    if (bytes.size() < head_at) throw Error(src + ": truncated .npy header");
    const size_t head_len = little_endian(bytes, kMagicLen + 2, len_bytes);
    if (head_len > kMaxHeader)
        throw Error(src + ": .npy header of " + std::to_string(head_len) + " bytes (limit " +
                    std::to_string(kMaxHeader) + ")");
    if (bytes.size() < head_at + head_len) throw Error(src + ": truncated .npy header");
    const std::string header = bytes.substr(head_at, head_len);
    if (header.find('\0') != std::string::npos)
        throw Error(src + ": malformed .npy header: a NUL byte");
    NpyArray a;
    bool fortran = false;
    HeaderParser(header, src).parse(a, fortran);
    if (fortran)
        throw Error(src +
                    ": Fortran-ordered array (fortran_order: True); save it in C order "
                    "(numpy.ascontiguousarray)");
    size_t item = 0;
    if (a.descr == "<f4" || a.descr == "<i4")
        item = 4;
    else if (a.descr == "<f8" || a.descr == "<i8")
        item = 8;
    else if (a.descr == "|u1" || a.descr == "<u1")
        item = 1;
    else
        throw Error(src + ": dtype '" + a.descr +
                    "' is not supported (little-endian float32, float64, uint8, int32, int64)");
    const size_t data_bytes = bytes.size() - head_at - head_len;
    // The element count, bounded by the data actually there (no overflow, no huge allocation).
    int64_t count = 1;
    for (int64_t d : a.shape) count = d == 0 ? 0 : count;
    for (int64_t d : a.shape) {
        if (count == 0) break;
        if (count > (std::numeric_limits<int64_t>::max() / 16) / d)
            throw Error(src + ": shape " + shape_text(a.shape) + " has too many elements");
        count *= d;
    }
    if (static_cast<size_t>(count) * item != data_bytes)
        throw Error(src + ": the shape needs " + std::to_string(static_cast<size_t>(count) * item) +
                    " data bytes, the file holds " + std::to_string(data_bytes));
    const char* p = bytes.data() + head_at + head_len;
    const size_t n = static_cast<size_t>(count);
    if (a.descr == "<f4" || a.descr == "<f8" || a.descr[2] == '1') {
        a.values.resize(n);
        for (size_t i = 0; i < n; ++i)
            a.values[i] = a.descr == "<f4"   ? load<float>(p + 4 * i)
                          : a.descr == "<f8" ? static_cast<float>(load<double>(p + 8 * i))
                                             : static_cast<float>(static_cast<uint8_t>(p[i]));
    } else {
        a.ints.resize(n);
        for (size_t i = 0; i < n; ++i)
            a.ints[i] = item == 4 ? load<int32_t>(p + 4 * i) : load<int64_t>(p + 8 * i);
    }
    return a;
}

NpyArray read_npy(const std::filesystem::path& path) {
    return parse_npy(read_file(path), path.string());
}

namespace {

// A version 1.0 .npy file of dtype `descr` holding `bytes` bytes of little-endian data.
std::string npy_file(const char* descr, const std::vector<int64_t>& shape, const char* data,
                     size_t bytes) {
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
    // Magic, version, length, header and padding to a multiple of 64 bytes ending in '\n'.
    const size_t unpadded = kMagicLen + 4 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string out(kMagic, kMagicLen);
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>((header.size() >> 8) & 0xff);
    out += header;
    out.append(data, bytes);
    return out;
}

}  // namespace

std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& data) {
    return npy_file("<f4", shape, reinterpret_cast<const char*>(data.data()),
                    data.size() * sizeof(float));
}

std::string npy_int64_bytes(const std::vector<int64_t>& shape, const std::vector<int64_t>& data) {
    return npy_file("<i8", shape, reinterpret_cast<const char*>(data.data()),
                    data.size() * sizeof(int64_t));
}

}  // namespace sparsecim
