/** The C library's version where it is glibc (as Node reports it), else undefined (musl, macOS). */
export function glibcVersion(): string | undefined {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime;
}
