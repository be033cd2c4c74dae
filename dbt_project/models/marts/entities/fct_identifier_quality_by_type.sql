{{ identifier_quality('id_type') }}
