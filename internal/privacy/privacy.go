// Package privacy writes what palabre holds on one person, for them to
// take away (the right of access and to portability): as one JSON
// document, or as a zip archive of CSV files, one per table, that any
// spreadsheet opens.
package privacy

import (
	"archive/zip"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/store"
)

// Formats an export can take.
const (
	FormatJSON = "json"
	FormatCSV  = "csv" // a zip of CSV files
)

// ContentType is the media type of a format, for HTTP answers.
func ContentType(format string) string {
	if format == FormatCSV {
		return "application/zip"
	}
	return "application/json"
}

// FileName is the name an export of a member is saved under.
func FileName(d store.MemberData, format string) string {
	ext := ".json"
	if format == FormatCSV {
		ext = ".zip"
	}
	return "palabre-" + d.Workspace + "-member-" + d.ExportedAt.UTC().Format("20060102-150405") + ext
}

// Write writes d to w in format (FormatJSON or FormatCSV).
func Write(w io.Writer, d store.MemberData, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("write JSON export: %w", err)
		}
		return nil
	case FormatCSV:
		return writeZip(w, d)
	}
	return fmt.Errorf("export format %q: want %s or %s", format, FormatJSON, FormatCSV)
}

// writeZip writes one CSV file per table (with a header row, even when
// the table holds nothing on the person) and a README.txt saying what
// the archive is.
func writeZip(w io.Writer, d store.MemberData) error {
	z := zip.NewWriter(w)
	modified := d.ExportedAt
	readme, err := z.CreateHeader(&zip.FileHeader{Name: "README.txt", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return fmt.Errorf("write CSV export: %w", err)
	}
	fmt.Fprintf(readme, "Everything palabre holds on member %s of workspace %s, exported %s.\r\nOne CSV file per table; times are Unix microseconds (UTC).\r\n",
		d.Member, d.Workspace, d.ExportedAt.UTC().Format(time.RFC3339))
	for _, t := range d.Tables {
		f, err := z.CreateHeader(&zip.FileHeader{Name: t.Table + ".csv", Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("write CSV export: %w", err)
		}
		cw := csv.NewWriter(f)
		cw.UseCRLF = true
		if err := cw.Write(t.Columns); err != nil {
			return fmt.Errorf("write CSV export of %s: %w", t.Table, err)
		}
		for _, row := range t.Rows {
			rec := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				rec[i] = cell(row[c])
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("write CSV export of %s: %w", t.Table, err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write CSV export of %s: %w", t.Table, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("write CSV export: %w", err)
	}
	return nil
}

// cell writes one value of a row as CSV text: binary as base64, text
// that a spreadsheet would take for a formula quoted.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return metrics.SafeCell(v)
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
