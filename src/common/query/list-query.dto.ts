import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The OData query options every list takes; checked in depth by `compileListQuery`. */
export class ListQueryDto {
  @ApiPropertyOptional({ name: '$filter', description: "OData filter, e.g. `name eq 'Acme'` or `startswith(name, 'Ac') and status eq 'active'`", maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(10000) // the parser refuses more than 2,000 characters with INVALID_FILTER
  $filter?: string;

  @ApiPropertyOptional({ name: '$orderby', description: 'Sort order, e.g. `createdAt desc`', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  $orderby?: string;

  @ApiPropertyOptional({ name: '$skip', description: 'Number of records to skip', type: 'integer', minimum: 0 })
  @IsOptional()
  @IsString()
  $skip?: string;

  @ApiPropertyOptional({ name: '$top', description: 'Number of records to return (default 20, at most 100)', type: 'integer', minimum: 0, maximum: 100 })
  @IsOptional()
  @IsString()
  $top?: string;
}
