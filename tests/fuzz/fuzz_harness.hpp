#pragma once
// What every fuzz target shares (docs/fuzzing.md): the rule for what a reader may do with any
// bytes, and a scratch folder for readers that take a path.
//
// A reader given arbitrary bytes either returns or throws lrnn::UserError, the message the
// program prints for bad input (exit 2). Anything else is a finding: another exception (caught
// here, named, then abort), a crash, a sanitizer report, a leak, or a hang (libFuzzer's
// -timeout). lrnn::OutputError counts as a finding too: a reader writes nothing to fail at.

#include <cxxabi.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "core/error.hpp"

namespace lrnn::fuzz {

// Stops the process with a message: libFuzzer then saves the input as a crash reproducer.
[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "lrnn fuzz finding: %s\n", what.c_str());
    std::abort();
}

// "std::invalid_argument" rather than "St16invalid_argument".
inline std::string type_name(const std::type_info& type) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? name.get() : type.name();
}

// Runs `read`; a UserError is the expected refusal of bad bytes, any other exception a finding.
template <typename Read>
void expect_only_user_errors(Read&& read) {
    try {
        read();
    } catch (const UserError&) {
    } catch (const std::exception& e) {
        finding("exception " + type_name(typeid(e)) + " escaped the reader: " + e.what());
    } catch (...) {
        finding("an exception that is not a std::exception escaped the reader");
    }
}

// A property a successful read must have.
inline void require(bool ok, const std::string& what) {
    if (!ok) finding("a successful read broke a promise: " + what);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A folder of this process under the temporary directory, made once (mkdtemp) and removed
// when the process exits normally; files in it are rewritten for each input.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "lrnn-fuzz-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) finding("cannot make a scratch folder under the temporary directory");
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // Writes `bytes` to NAME (a relative path, folders made) and returns the file's path.
    std::string write(const std::string& name, std::string_view bytes) const {
        const std::filesystem::path file = path_ / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        if (!out.flush()) finding("cannot write the scratch file " + file.string());
        return file.string();
    }

    void remove(const std::string& name) const {
        std::error_code ec;
        std::filesystem::remove(path_ / name, ec);
    }

private:
    std::filesystem::path path_;
};

// The scratch folder of this process.
inline const ScratchDir& scratch() {
    static const ScratchDir dir;
    return dir;
}

// Text before the first line "#--" and the lines after it: one input carries a YAML document
// and the key=value overrides applied on top of it ("#" keeps the whole input valid YAML).
struct DocumentAndOverrides {
    std::string document;
    std::vector<std::string> overrides;
};

inline DocumentAndOverrides split_overrides(std::string_view text) {
    DocumentAndOverrides out;
    const std::string_view marker = "\n#--\n";
    const auto at = text.find(marker);
    out.document = std::string(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    std::string_view rest = text.substr(at + marker.size());
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        if (!line.empty()) out.overrides.emplace_back(line);
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace lrnn::fuzz
